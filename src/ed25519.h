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
/* UVS_OK when valid; UVS_REFUSED when not. */
uv_status ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
                         const uint8_t sig[64], struct uv_error *err);

#endif
