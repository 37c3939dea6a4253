/*
 * blacklist.h — card serials head office has blacklisted (lost, stolen,
 * cloned cards). The list arrives by instruction file only; a card
 * driver's sale path asks blacklist_contains() before it writes a card.
 */
#ifndef UV_BLACKLIST_H
#define UV_BLACKLIST_H

#include "univend.h"

/* 1 when serial is blacklisted, 0 when not, -1 on a storage fault (the
   message in ctx->err; refuse the card then too). txn may be NULL. */
int blacklist_contains(struct uv_ctx *ctx, DB_TXN *txn, const char *serial);
/* Card serials: 1-31 of A-Z a-z 0-9 . _ - : */
int blacklist_serial_valid(const char *serial);
uv_status blacklist_put_txn(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_blacklist *b);
/* UVS_NOTFOUND when the serial is not listed. */
uv_status blacklist_del_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *serial);
uv_status blacklist_list(struct uv_ctx *ctx, FILE *out);

#endif
