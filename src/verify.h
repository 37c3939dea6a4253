/*
 * verify.h — check the whole store: receipts numbered 1..N without gaps and
 * hash-chained, the receipt counter and chain head agree with the last
 * receipt, meter sale counters add up to the receipts, audit chain intact.
 */
#ifndef UV_VERIFY_H
#define UV_VERIFY_H

#include "univend.h"

/* Prints a line per check; UVS_STORE naming the first problem found. */
uv_status store_verify(struct uv_ctx *ctx, FILE *out);

#endif
