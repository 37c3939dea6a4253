/* keys.h — adding and listing vending keys (values never shown). */
#ifndef UV_KEYS_H
#define UV_KEYS_H

#include "univend.h"

uv_status keys_add(struct uv_ctx *ctx, const char *ref, const uint8_t *key, size_t len);
uv_status keys_list(struct uv_ctx *ctx, FILE *out);

#endif
