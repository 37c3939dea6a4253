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
   fill customer and tariff. Nothing is written (refusals are audited). A
   meter whose driver handles only cards is refused here: it is sold on its
   card (src/cardsale.c). */
uv_status vend_lookup(struct uv_ctx *ctx, const char *meter_number, struct uv_quote *q);
/* vend_lookup + the amount checked and split (VAT, net, energy). */
uv_status vend_quote(struct uv_ctx *ctx, const char *meter_number, const char *amount_text,
                     struct uv_quote *q);
/* The amount checked against the sale limits and split by q's tariff, for
   q's meter and customer (a card sale fills those from the card). */
uv_status vend_price(struct uv_ctx *ctx, struct uv_quote *q, const char *amount_text);
/* The sale of a priced quote to the card in the reader, whose driver (d)
   verified it (src/cardsale.c). draft = 1: compute the receipt the sale would
   make, nothing written anywhere (its number is the card write's sequence).
   draft = 0: the driver writes the card; the receipt must get `number` (0:
   any); the meter's pending-write record is removed in the receipt's
   transaction. *touched: the driver ran its write, so the card may hold
   the credit even when the sale failed. */
uv_status vend_card_txn(struct uv_ctx *ctx, struct uv_loaded *d, const struct uv_quote *q,
                        const char *serial, int draft, uint64_t number, struct rec_receipt *out,
                        int *touched);
/* Chain r to the receipts (previous head, its own hash), store it and make
   it the head, inside txn. */
uv_status vend_store_receipt(struct uv_ctx *ctx, DB_TXN *txn, struct rec_receipt *r);
/* The tariff engine's view of a stored tariff. */
void tariff_from_record(const struct rec_tariff *t, struct tariff_def *d);
/* The meter's month state as of Unix time now (a new month starts empty). */
void meter_month(const struct rec_meter *m, int64_t now, struct tariff_month *out);
/* Store a month state in the meter record as the month of Unix time now. */
void meter_month_set(struct rec_meter *m, int64_t now, const struct tariff_month *t);
/* What a sale refused for want of disk space tells the clerk. */
#define VEND_DISK_FULL                                                                       \
    "the disk is full: the sale was NOT recorded and no token was given; free space and "   \
    "sell again"

/* The sale itself (it repeats the checks of vend_quote). A full disk fails
   with VEND_DISK_FULL (UVS_STORE). */
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
