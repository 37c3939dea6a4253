/*
 * cardhost.h — a host services table for card driver unit tests whose card
 * channel hands each APDU straight to the real card emulations of
 * tests/cardsim (no pcscd): slot UV_SLOT_USER holds the customer's card,
 * UV_SLOT_SAM a SAM, each an image file like the simulator's.
 *
 * A test can pull the user's card at its Nth UPDATE BINARY (before the card
 * sees it, or after it took it but before the answer), and count what the
 * driver sent.
 */
#ifndef UV_TEST_CARDHOST_H
#define UV_TEST_CARDHOST_H

#include <stddef.h>
#include <stdint.h>

#include "../../drivers/univend_driver.h"
#include "../cardsim/card.h"

#define CH_SLOTS 2
#define CH_KEYS 6

struct ch_host {
    struct uv_host_services svc;
    const struct sim_card_ops *ops[CH_SLOTS]; /* NULL: an empty reader */
    char image[CH_SLOTS][4096];
    struct sim_card card[CH_SLOTS];
    int present[CH_SLOTS], connected[CH_SLOTS];
    unsigned pull_at_write;  /* pull the user card at this UPDATE BINARY (1 = first) */
    int pull_after_card;     /* ...after the card took the write                  */
    unsigned writes;         /* UPDATE BINARY commands to the user card            */
    unsigned codes_presented; /* VERIFY commands carrying a security code         */
    unsigned apdus;
    unsigned connects;
    struct {
        char ref[64];
        uint8_t key[32];
        size_t len;
    } keys[CH_KEYS];
    int n_keys;
};

/* A host with empty readers and no keys (heap: it holds two card images). */
struct ch_host *ch_new(void);
void ch_free(struct ch_host *h);
/* Put a card (its emulation and image file) in a slot; a card already
   there is taken out first. */
void ch_insert(struct ch_host *h, uint32_t slot, const struct sim_card_ops *ops,
               const char *image);
/* Take the card out of the slot (it keeps its image), and put it back. */
void ch_pull(struct ch_host *h, uint32_t slot);
void ch_reinsert(struct ch_host *h, uint32_t slot);
/* A key for svc->key_get, from hex. */
void ch_add_key(struct ch_host *h, const char *ref, const char *hex);

/* dlopen a driver of the build's driver directory; *so for dlclose. */
const struct uv_driver *ch_load_driver(const char *file, void **so);

#endif
