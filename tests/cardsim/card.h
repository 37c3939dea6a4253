/*
 * card.h — one emulated card type of the card simulator (tests/cardsim).
 *
 * The simulator plays the customer's card (or the SAM) on the virtual reader
 * of vsmartcard-vpcd, so tests run the whole stack: univend -> libpcsclite ->
 * pcscd -> vpcd -> cardsim. Each card type is one file, card_<type>.c, that
 * fills a struct sim_card_ops; main.c lists them (weak references: a type
 * whose file is not in the build is not offered). The Makefile builds every
 * C file of tests/cardsim into build/cardsim; the card layouts and card keys
 * come from the drivers' own files (drivers/cardkey, drivers/<type>/).
 *
 * A card's whole state lives in an image file (text, see image.h), read when
 * the card is "inserted" and saved after every change, so a test can look at
 * a card, copy it (a clone), roll it back (a replay) or edit it (tampering)
 * with ordinary tools.
 */
#ifndef CARDSIM_CARD_H
#define CARDSIM_CARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "image.h"

#define SIM_ATR_MAX 33
#define SIM_RESP_MAX 258 /* 256 data bytes + SW1 SW2 */

struct sim_card {
    const struct sim_card_ops *ops;
    struct sim_image img; /* the card's persistent state          */
    void *state;          /* the type's volatile state (security status after
                             authentication, challenge, selected file...),
                             cleared on every reset                  */
};

struct sim_card_ops {
    const char *type; /* "memory", "logic", "cpu", "rf", "sam" */
    const char *help; /* one line per personalise option, for `cardsim help` */
    /* Write a new card image from name=value options (serial, meter number,
       type code, keys...): what a utility's card issuing station would do.
       Returns 0, or 1 with a message on err. */
    int (*personalise)(const char *image_path, int argc, char **argv, FILE *err);
    /* Power on / reset: set up the volatile state from c->img. 0 or -1. */
    int (*reset)(struct sim_card *c);
    /* The Answer To Reset. Returns its length. */
    size_t (*atr)(const struct sim_card *c, uint8_t out[SIM_ATR_MAX]);
    /* One command APDU in, the response (data + SW1 SW2) out; returns the
       response length (>= 2). Saves c->img itself after a change. */
    size_t (*apdu)(struct sim_card *c, const uint8_t *cmd, size_t len,
                   uint8_t resp[SIM_RESP_MAX]);
    /* Free the volatile state (c->state may be NULL: nothing to free). */
    void (*release)(struct sim_card *c);
    /* Optional: play the meter's side on the card image (`cardsim meter TYPE
       IMAGE options`): check and take the purchase the kiosk wrote, write
       back what a meter reports. 0 or 1 with a message on out. */
    int (*meter)(const char *image_path, int argc, char **argv, FILE *out);
};

/* The card types, defined in card_<type>.c. */
extern const struct sim_card_ops sim_card_memory, sim_card_logic, sim_card_cpu, sim_card_rf,
    sim_card_sam;

/* Status words every type uses. */
#define SW_OK 0x9000
#define SW_WRONG_LENGTH 0x6700
#define SW_SECURITY 0x6982       /* security status not satisfied */
#define SW_AUTH_BLOCKED 0x6983   /* authentication method blocked */
#define SW_DATA_INVALID 0x6984
#define SW_CONDITIONS 0x6985     /* conditions of use not satisfied */
#define SW_WRONG_DATA 0x6A80
#define SW_NOT_FOUND 0x6A82
#define SW_WRONG_P1P2 0x6B00
#define SW_INS 0x6D00
#define SW_CLA 0x6E00
#define SW_VERIFY_FAIL(n) (0x63C0 | ((n) & 0x0F)) /* wrong code, n tries left */

/* Put SW1 SW2 after n data bytes; returns n + 2. */
static inline size_t sim_sw(uint8_t *resp, size_t n, unsigned sw)
{
    resp[n] = (uint8_t)(sw >> 8);
    resp[n + 1] = (uint8_t)sw;
    return n + 2;
}

#endif
