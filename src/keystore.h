/*
 * keystore.h — vending keys, never stored in clear.
 *
 * Each key is wrapped with AES-256-GCM (libgcrypt) under a key-encryption key
 * derived from the kiosk passphrase with PBKDF2-HMAC-SHA256; the key's
 * reference is the GCM associated data, so a wrapped key cannot be moved to
 * another reference. A check value, wrapped the same way, tells a wrong
 * passphrase from a damaged key. Unwrapped keys live only in libgcrypt's
 * secure memory and are wiped after use. Keys are never printed or logged.
 */
#ifndef UV_KEYSTORE_H
#define UV_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "../db/store.h"
#include "status.h"

#define UV_KDF_ITER_DEFAULT 200000u
#define UV_KEY_MAX 64

struct uv_keystore {
    uint8_t *kek;     /* 32 bytes in gcrypt secure memory, NULL when locked */
    uint32_t kdf_iterations;
};

/* Create the key store in a new kiosk: salt, iterations, check value. */
uv_status keystore_create(struct uv_keystore *ks, struct uv_store *s, DB_TXN *txn,
                          const char *passphrase, uint32_t iterations, struct uv_error *err);
/* Derive the KEK from the passphrase and check it. UVS_KEY: wrong passphrase. */
uv_status keystore_unlock(struct uv_keystore *ks, struct uv_store *s, const char *passphrase,
                          struct uv_error *err);
void keystore_lock(struct uv_keystore *ks);
int keystore_unlocked(const struct uv_keystore *ks);

/* Store key bytes under ref (refuses an existing ref). */
uv_status keystore_put(struct uv_keystore *ks, struct uv_store *s, DB_TXN *txn, const char *ref,
                       const uint8_t *key, size_t len, const char *actor, struct uv_error *err);
/* Unwrap into buf (capacity cap); *len set. UVS_NOTFOUND if no such key. */
uv_status keystore_get(struct uv_keystore *ks, struct uv_store *s, const char *ref, uint8_t *buf,
                       size_t cap, size_t *len, struct uv_error *err);

/* Key references: 1..63 chars of [A-Za-z0-9:._-]. */
int keystore_ref_valid(const char *ref);

#endif
