/*
 * trust.h — the head office keys a kiosk trusts.
 *
 * Instruction files and driver signatures from head office are accepted
 * only under a key in this list that is not revoked. Each key has a name
 * (1-31 of A-Z a-z 0-9 . _ -). Revoking keeps the entry, marked, so a
 * revoked key can never be trusted again under any name. Every change is
 * audited. The *_txn forms work inside a caller's transaction (an
 * instruction file revoking a key) and check no role; the others are for
 * people: supervisor only, in a transaction of their own.
 */
#ifndef UV_TRUST_H
#define UV_TRUST_H

#include "univend.h"

uv_status trust_add(struct uv_ctx *ctx, const char *name, const char *pubkey_hex);
uv_status trust_revoke(struct uv_ctx *ctx, const char *name);
uv_status trust_list(struct uv_ctx *ctx, FILE *out);

uv_status trust_add_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *name, const uint8_t pub[32]);
/* Revoke every entry holding pub (or record it as revoked if unknown), so
   it is refused from now on; why says on whose word (audited). */
uv_status trust_revoke_key_txn(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t pub[32],
                               const char *why);

/* Is pub trusted? UVS_OK (entry in *out, may be NULL); UVS_REFUSED with a
   message saying the key is revoked (when, by whom) or not trusted here. */
uv_status trust_check(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t pub[32],
                      struct rec_trust *out);

#endif
