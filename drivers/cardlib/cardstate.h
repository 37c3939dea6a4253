/*
 * cardstate.h — what a card driver keeps of a card in uv_meter.state, so a
 * card rolled back to an older image is caught (drivers/univend_driver.h:
 * the host commits the state with the receipt):
 *
 *   byte 0       layout version, 1
 *   byte 1       n, length of the card serial (1..15)
 *   bytes 2..    the card serial (n bytes)
 *   next 4       the purchase counter this kiosk last wrote to that card,
 *                big-endian
 *
 * A card with another serial is a replacement card: its counter starts anew.
 */
#ifndef UV_CARDSTATE_H
#define UV_CARDSTATE_H

#include <stddef.h>
#include <stdint.h>

#define CST_SERIAL_MAX 15
#define CST_LEN_MAX (2 + CST_SERIAL_MAX + 4)

struct cst {
    uint8_t serial[CST_SERIAL_MAX];
    size_t serial_len;
    uint32_t counter;
};

/* 0, or -1 for a state of another layout or length. */
int cst_decode(const uint8_t *state, size_t len, struct cst *out);
/* Returns the length written (cap must be >= CST_LEN_MAX), or 0. */
size_t cst_encode(const struct cst *c, uint8_t *out, size_t cap);

#endif
