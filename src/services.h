/* services.h — the host services table handed to drivers, and unlocking keys. */
#ifndef UV_SERVICES_H
#define UV_SERVICES_H

#include "univend.h"

/* Fill ctx->svc; the host handle drivers get back is ctx itself. The card
   services are there only when univend.conf names a card or SAM reader. */
void services_init(struct uv_ctx *ctx);
/* Unlock the key store if it is not: passphrase from passphrase_file,
   else $UNIVEND_PASSPHRASE, else asked on the terminal. */
uv_status services_unlock_keys(struct uv_ctx *ctx);
/* A secret from environment variable env_name, else asked without echo on
   the terminal. */
uv_status services_ask_secret(struct uv_ctx *ctx, const char *env_name, const char *prompt,
                              char *buf, size_t cap);
/* Read the passphrase the same way (used by init too). buf of cap bytes. */
uv_status services_read_passphrase(struct uv_ctx *ctx, const char *prompt, char *buf, size_t cap);

#endif
