/*
 * rf_io.h — the PC/SC part 3 pseudo-APDUs the RF card driver sends through
 * the host's card channel (UV_SLOT_USER): GET DATA (the UID), LOAD KEYS and
 * GENERAL AUTHENTICATE (a sector), READ BINARY and UPDATE BINARY (a block).
 * See tests/cardsim/card_rf.c for the card's side. Each returns UV_OK or a
 * uv_rc with the detail in err (CIO_ERR_MAX).
 */
#ifndef UV_RF_IO_H
#define UV_RF_IO_H

#include <stddef.h>
#include <stdint.h>

#include "../univend_driver.h"
#include "rf_layout.h"

struct rf_io {
    const struct uv_host_services *svc;
    void *host;
    char *err;
};

/* The UID (4 or 7 bytes); UV_E_UNSUPPORTED when the card has none of those. */
int rfio_uid(const struct rf_io *io, uint8_t uid[RF_UID_MAX], size_t *len);
/* Load the key into the reader and authenticate block's sector with it as
   key A (key_b 0) or key B. UV_E_CARD_AUTH when the card refuses it. */
int rfio_auth(const struct rf_io *io, unsigned block, int key_b, const uint8_t key[RF_KEY_LEN]);
int rfio_read(const struct rf_io *io, unsigned block, uint8_t out[RF_BLOCK]);
int rfio_write(const struct rf_io *io, unsigned block, const uint8_t data[RF_BLOCK]);

#endif
