/*
 * logic_io.h — the commands a logic-encryption card understands, as the
 * driver sends them through the host's card channel (UV_SLOT_USER): PC/SC
 * part 3 storage-card pseudo-APDUs (READ BINARY FF B0, UPDATE BINARY FF D6,
 * VERIFY FF 20; see tests/cardsim/card_logic.c for the card's side).
 * Each returns UV_OK or a uv_rc with the detail in err (CIO_ERR_MAX).
 */
#ifndef UV_LOGIC_IO_H
#define UV_LOGIC_IO_H

#include <stddef.h>
#include <stdint.h>

#include "../univend_driver.h"
#include "logic_layout.h"

struct lc_io {
    const struct uv_host_services *svc;
    void *host;
    char *err;
};

/* Read n (1..256) bytes from addr. */
int lcio_read(const struct lc_io *io, unsigned addr, size_t n, uint8_t *out);
/* The security code tries left (VERIFY without data): 0..3, or
   LCIO_PRESENTED when the code was already presented in this session. */
#define LCIO_PRESENTED 99
int lcio_tries(const struct lc_io *io, int *tries);
/* Present the code. UV_OK; UV_E_CARD_AUTH (the card refused it; *tries_left
   says how many are left); UV_E_CARD_LOCKED (the card is locked). */
int lcio_present(const struct lc_io *io, const uint8_t psc[LC_PSC_LEN], int *tries_left);
/* Write n (1..255) bytes at addr, read them back and compare. A card taken
   out during either step gives UV_E_MEDIUM_ABSENT; *reached is set to 1 once
   the card has acknowledged the write itself (the read-back may still fail). */
int lcio_write(const struct lc_io *io, unsigned addr, const uint8_t *data, size_t n,
               int *reached);

#endif
