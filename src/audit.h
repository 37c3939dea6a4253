/*
 * audit.h — the audit log: every sale, refusal and change, in order.
 *
 * Records are numbered without gaps and chained: each carries the SHA-256 of
 * the previous record and its own, so a removed or altered record shows.
 */
#ifndef UV_AUDIT_H
#define UV_AUDIT_H

#include "univend.h"

/* Append inside txn, or in a transaction of its own when txn is NULL. */
uv_status audit_append(struct uv_ctx *ctx, DB_TXN *txn, const char *action, const char *subject,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Hash of a record (its hash field excluded). */
void audit_hash(const struct rec_audit *a, uint8_t out[32]);
/* Print the newest `limit` records (0: all), oldest first. */
uv_status audit_print(struct uv_ctx *ctx, FILE *out, unsigned limit);
/* Walk the chain; on a break, UVS_STORE with where it broke. */
uv_status audit_verify(struct uv_ctx *ctx, uint64_t *count);

#endif
