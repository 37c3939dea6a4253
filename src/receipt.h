/* receipt.h — reading, listing and printing receipts. */
#ifndef UV_RECEIPT_H
#define UV_RECEIPT_H

#include "univend.h"

uv_status receipt_get(struct uv_ctx *ctx, uint64_t number, struct rec_receipt *r);
/* The printed receipt, plain text, 40 columns. */
void receipt_print(struct uv_ctx *ctx, const struct rec_receipt *r, FILE *out);
/* Newest first; meter NULL for all; limit 0 for all. */
uv_status receipt_list(struct uv_ctx *ctx, const char *meter, unsigned limit, FILE *out);
/* Mark a reprint: the reprint count goes up and an audit record says who. */
uv_status receipt_reprint(struct uv_ctx *ctx, uint64_t number, struct rec_receipt *r);

struct receipt_filter {
    const char *meter;   /* NULL: any */
    const char *clerk;   /* NULL: any */
    int64_t from, to;    /* Unix seconds, inclusive; 0: open */
};
/* Newest first: up to cap receipts matching f; *n how many were filled. */
uv_status receipt_find(struct uv_ctx *ctx, const struct receipt_filter *f, struct rec_receipt *out,
                       size_t cap, size_t *n);

/* Group a token's digits in fours: "1234 5678 ..." */
void token_group(const char *token, char *out, size_t cap);

#endif
