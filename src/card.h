/*
 * card.h — selling on a card: the card in the reader identified, verified
 * and settled, then sold to. The CLI (univend card ..., sell --card) and
 * the kiosk screen call exactly these.
 *
 *   card_wait_insert()  wait for a card in the customer's reader
 *   card_identify()     ATR -> the registered drivers whose ATR patterns
 *                       match, most specific first (a driver answering
 *                       UV_E_UNSUPPORTED is passed by) -> read_medium():
 *                       meter number and type code -> the type index's
 *                       driver for that code -> the meter's record ->
 *                       verify() -> an earlier unconfirmed card write of
 *                       this meter settled -> the meter's report stored.
 *                       Refusals are audited (card.refused) and change
 *                       nothing else.
 *   card_quote()        the amount priced for the card's meter
 *   card_sell()         the sale: the same business path as a keypad sale
 *                       (src/vend.c), the driver writing the card
 *   card_release()      disconnect (with a reset) when the sale ends or fails
 *
 * A card write whose outcome is not known (the card pulled, the reader
 * failing, the process killed) leaves a pending-write record: the receipt
 * the sale would have made, committed before the write and removed in the
 * receipt's transaction. When that card is read again, its last credit
 * sequence (uv_medium_info.last_sequence) says whether the credit reached
 * it: yes, the sale is recorded then (audited as such); no, the record is
 * dropped and nothing was sold (audited too).
 */
#ifndef UV_CARD_H
#define UV_CARD_H

#include <stdio.h>

#include "univend.h"
#include "vend.h"

enum card_settled {
    CARD_SETTLED_NONE = 0,  /* no earlier card write was waiting               */
    CARD_SETTLED_SOLD,      /* it reached the card: recorded now (settled_receipt) */
    CARD_SETTLED_NOTHING    /* it did not: nothing was sold then                */
};

struct uv_card {
    uint8_t atr[UV_ATR_MAX];
    size_t atr_len;
    char atr_hex[2 * UV_ATR_MAX + 1];
    struct uv_loaded *d;          /* the driver of the card's type code      */
    struct uv_medium_info info;   /* what verify() found on the card         */
    struct uv_quote q;            /* meter, customer, tariff, driver entry;
                                     priced by card_quote()                  */
    int verified;                 /* the card may be sold to                 */
    int priced;
    enum card_settled settled;
    struct rec_receipt settled_receipt; /* CARD_SETTLED_SOLD: that receipt     */
    uint64_t settled_sequence;    /* the sequence of the settled write       */
    int report_new;               /* the meter's report was new, now stored  */
    int unconfirmed;              /* card_sell failed after the driver ran its
                                     write: the card may hold the credit, a
                                     pending write waits for the card        */
};

/* Readers PC/SC sees, and which slot univend.conf binds to which. */
uv_status card_readers_list(struct uv_ctx *ctx, FILE *out);
/* Wait up to timeout_ms for a card in the customer's reader: UVS_NOTFOUND
   when none came, UVS_IO when the reader failed. */
uv_status card_wait_insert(struct uv_ctx *ctx, uint32_t timeout_ms);
/* Identify, verify and settle the card in the reader (see the top). */
uv_status card_identify(struct uv_ctx *ctx, struct uv_card *c);
/* Price amount_text for the card's meter (tariff, limits, debt). */
uv_status card_quote(struct uv_ctx *ctx, struct uv_card *c, const char *amount_text);
/* Sell the quote to the card; the receipt on UVS_OK. */
uv_status card_sell(struct uv_ctx *ctx, struct uv_card *c, struct rec_receipt *out);
/* Let go of the card (reset, so it keeps no security state). */
void card_release(struct uv_ctx *ctx, struct uv_card *c);
/* What the card says, for the clerk (univend card read). */
void card_describe(struct uv_ctx *ctx, const struct uv_card *c, FILE *out);

/* ---- pending card writes (cardpend.c) ---------------------------------- */
/* Keep the receipt a sale will make, before its card write (committed). */
uv_status card_pending_put(struct uv_ctx *ctx, const struct rec_receipt *draft);
/* Drop it: the write was never tried, or failed before it could reach the card. */
uv_status card_pending_drop(struct uv_ctx *ctx, const char *meter);
/* Settle the card's meter's pending write, if any, by the card's last
   credit sequence; sets c->settled. */
uv_status card_settle(struct uv_ctx *ctx, struct uv_card *c);
/* The pending writes, one line each. */
uv_status card_pending_list(struct uv_ctx *ctx, FILE *out);
/* A supervisor drops one (the card is lost): audited with the reason. */
uv_status card_pending_clear(struct uv_ctx *ctx, const char *meter, const char *reason);
/* Store what the meter reported on its card, when it is new (audited; a
   tamper report audited on its own). */
uv_status card_store_report(struct uv_ctx *ctx, struct uv_card *c);

#endif
