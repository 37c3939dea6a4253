/* digest.h — SHA-256 (libgcrypt) of memory and files, and hex text. */
#ifndef UV_DIGEST_H
#define UV_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

void digest_sha256(const void *data, size_t len, uint8_t out[32]);
/* Hash an open file from its start. */
uv_status digest_sha256_fd(int fd, uint8_t out[32], struct uv_error *err);
/* Lower-case hex; out must hold 2*len+1. */
void digest_hex(const uint8_t *in, size_t len, char *out);
/* Parse exactly 2*len hex digits. Returns 0 or -1. */
int digest_unhex(const char *hex, uint8_t *out, size_t len);

#endif
