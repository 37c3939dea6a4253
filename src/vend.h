/*
 * vend.h — one sale, from meter number to durable receipt.
 *
 *   meter record -> type index match -> driver loaded (hash checked)
 *   -> driver security verification -> tariff -> ONE transaction:
 *        receipt number, driver issues the credit, every token decoded and
 *        checked against the sale, receipt (hash-chained), meter state,
 *        audit -> synchronous commit
 *   -> only then is the receipt handed back to be shown or printed.
 *
 * A failure anywhere before the commit leaves no receipt, no gap in the
 * receipt numbers and no change to the meter; refusals are audited.
 */
#ifndef UV_VEND_H
#define UV_VEND_H

#include "money.h"
#include "tariff.h"
#include "univend.h"

/* What the clerk sees before confirming a sale. */
struct uv_quote {
    struct rec_meter meter;
    struct rec_customer customer;
    struct rec_tariff tariff;
    struct rec_typeidx driver;     /* the matched type index entry       */
    char verify_summary[UV_TEXT_MAX + 1]; /* from the driver's verify()  */
    int64_t tendered;              /* set by vend_quote                  */
    struct tariff_sale sale;       /* the parts, set by vend_quote       */
};

/* Find the meter, match and load its driver, run security verification,
   fill customer and tariff. Nothing is written (refusals are audited). */
uv_status vend_lookup(struct uv_ctx *ctx, const char *meter_number, struct uv_quote *q);
/* vend_lookup + the amount checked and split (VAT, net, energy). */
uv_status vend_quote(struct uv_ctx *ctx, const char *meter_number, const char *amount_text,
                     struct uv_quote *q);
/* The tariff engine's view of a stored tariff. */
void tariff_from_record(const struct rec_tariff *t, struct tariff_def *d);
/* The meter's month state as of Unix time now (a new month starts empty). */
void meter_month(const struct rec_meter *m, int64_t now, struct tariff_month *out);
/* The sale itself (it repeats the checks of vend_quote). */
uv_status vend_sell(struct uv_ctx *ctx, const char *meter_number, const char *amount_text,
                    struct rec_receipt *out);
/* Decode and authenticate a token against a meter's keys (its driver). */
uv_status token_decode(struct uv_ctx *ctx, const char *meter_number, const char *token,
                       struct uv_token_info *ti);
/* A driver's result is well formed: token count and state size in bounds,
   every token and the token id NUL-terminated. UVS_DRIVER otherwise. */
uv_status vend_result_wellformed(struct uv_ctx *ctx, const struct uv_loaded *d,
                                 const struct uv_issue_result *res);
/* Recompute a receipt's hash (its hash field excluded). */
void receipt_hash(const struct rec_receipt *r, uint8_t out[32]);

#endif
