/*
 * keysource.h — where a card driver's master keys live, and the two things a
 * driver asks of them (docs/cards.md):
 *
 *   keys = store  the kiosk's encrypted key store: the master key is fetched
 *                 by reference (svc->key_get), the card key derived in
 *                 memory, used, and every copy wiped;
 *   keys = sam    a SAM in UV_SLOT_SAM holds the master keys in numbered
 *                 slots; the driver sends it the card serial and the data,
 *                 and no key enters kiosk memory — except where a reader
 *                 needs a key in clear (contactless LOAD KEYS): DERIVE-EXPORT,
 *                 which the SAM allows only from a slot personalised export=1.
 *
 * A driver has one or more key roles (logic card: the card master; RF card:
 * the sector-key master and the MAC master), each a key reference in store
 * mode and a SAM slot in SAM mode.
 */
#ifndef UV_KEYSOURCE_H
#define UV_KEYSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "../univend_driver.h"
#include "../cardkey/cardkey.h"
#include "cardio.h"

#define KS_ROLES_MAX 2
#define KS_REF_MAX 64

struct ks_source {
    const struct uv_host_services *svc;
    void *host;
    int sam;                            /* 0: keys = store, 1: keys = sam          */
    int alg;                            /* store: the masters' algorithm (CK_ALG_*) */
    char ref[KS_ROLES_MAX][KS_REF_MAX]; /* store: key store reference per role      */
    uint8_t slot[KS_ROLES_MAX];         /* sam: key slot per role (1..15)           */
    char err[CIO_ERR_MAX];              /* detail of the last failure               */
};

/* Read one driver option that belongs to the key source: "keys" (store|sam)
   and "alg" (aes|3des|sm4). Returns 1 if the name was one of them (and
   UV_OK/UV_E_PARAM in *rc), 0 if the name is not a key-source option. */
int ks_option(struct ks_source *s, const char *name, const char *value, int *rc);
/* A SAM slot number option value, 1..15. 0 or -1. */
int ks_parse_slot(const char *value, uint8_t *slot);

/* The first mac_len (<= 16, and <= 8 for 3des) bytes of CMAC(card key of
   serial, msg) for a role. */
int ks_mac(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                  const uint8_t *msg, size_t msg_len, uint8_t *mac, size_t mac_len);
/* The card key of serial itself (16 bytes), for a reader that must be handed
   a key in clear. Wipe it after use. */
int ks_export(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                     uint8_t key[CARDKEY_LEN]);

/* Are the master keys of roles 0..n_roles-1 there (store: 16-byte keys under
   their references; sam: the slots are configured, the SAM is asked only
   with a card)? UV_OK, or the error with its detail in s->err. */
int ks_ready(struct ks_source *s, int n_roles);

/* Compute the MAC as ks_mac() does and compare it in constant time
   with mac: UV_OK when equal, UV_E_TOKEN_AUTH when not, or the error. */
int ks_check(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                    const uint8_t *msg, size_t msg_len, const uint8_t *mac, size_t mac_len);

#endif
