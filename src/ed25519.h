/* ed25519.h — Ed25519 signatures through libgcrypt (keys as raw 32 bytes). */
#ifndef UV_ED25519_H
#define UV_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* New key pair: secret (32-byte seed) and public key. */
uv_status ed25519_generate(uint8_t secret[32], uint8_t pub[32], struct uv_error *err);
/* Public key of a secret seed. */
uv_status ed25519_public(const uint8_t secret[32], uint8_t pub[32], struct uv_error *err);
uv_status ed25519_sign(const uint8_t secret[32], const uint8_t pub[32], const void *msg,
                       size_t len, uint8_t sig[64], struct uv_error *err);
/* 0 for the encodings of the small-order points (identity, order 2, 4, 8,
   and their non-canonical forms): no signature under them means anything,
   and libgcrypt 1.10 aborts the process verifying under some of them. */
int ed25519_public_ok(const uint8_t pub[32]);
/* UVS_OK when valid; UVS_REFUSED when not (also for a small-order key). */
uv_status ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
                         const uint8_t sig[64], struct uv_error *err);

#endif
