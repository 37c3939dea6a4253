/* cardsale.c — the sale to a verified card. */
#include "card.h"

#include <string.h>

#include "audit.h"
#include "clock.h"

uv_status card_quote(struct uv_ctx *ctx, struct uv_card *c, const char *amount_text)
{
    c->priced = 0;
    if (!c->verified)
        return uv_fail(&ctx->err, UVS_INPUT, "no verified card: read the card first");
    /* as a sale by meter number: a clock behind the floor or jumped far
       ahead is refused here, audited, before anything is priced */
    uv_status st = clock_guard_audited(ctx);
    if (st == UVS_OK)
        st = vend_price(ctx, &c->q, amount_text);
    c->priced = st == UVS_OK;
    return st;
}

/* The sale failed after the driver ran its write: the card may hold the
   credit. The pending-write record stays; the clerk is told what to do. */
static uv_status unconfirmed(struct uv_ctx *ctx, uv_status st, const struct rec_receipt *draft)
{
    char why[sizeof ctx->err.message];
    snprintf(why, sizeof why, "%s", ctx->err.message);
    audit_append(ctx, NULL, "sale.card-unconfirmed", draft->meter,
                 "card %s sequence %llu: %s", draft->card_serial,
                 (unsigned long long)draft->number, why);
    if (st == UVS_IO)
        return uv_fail(&ctx->err, UVS_IO,
                       "NOTHING IS RECORDED YET: the card was taken out, or stopped answering, "
                       "before the kiosk saw the credit written. Keep the customer's money "
                       "aside and put the same card back in: the kiosk will see whether the "
                       "credit reached it, and record the sale or say that nothing was sold. "
                       "(%s)",
                       why);
    return uv_fail(&ctx->err, st,
                   "NOT RECORDED: the card may hold the credit, but the sale could not be "
                   "stored (%s). Do not sell again: put the same card back in to settle it.",
                   why);
}

uv_status card_sell(struct uv_ctx *ctx, struct uv_card *c, struct rec_receipt *out)
{
    struct rec_receipt draft;
    int touched = 0;
    memset(out, 0, sizeof *out);
    c->unconfirmed = 0;
    if (!c->verified || !c->priced)
        return uv_fail(&ctx->err, UVS_INPUT, "read the card and price the sale first");
    /* a card already taken out: nothing to settle later, just say so */
    int rc = cardchan_wait(&ctx->cards, UV_SLOT_USER, 1, 0);
    if (rc != UV_OK)
        return uv_fail(&ctx->err, UVS_IO,
                       "the card is no longer in the reader: nothing was sold; put it back in "
                       "and start the sale again");
    /* the receipt the sale will make, kept before the card is written */
    uv_status st = vend_card_txn(ctx, c->d, &c->q, c->info.card_serial, 1, 0, &draft, &touched);
    if (st == UVS_OK)
        st = card_pending_put(ctx, &draft);
    if (st != UVS_OK)
        return st;
    st = vend_card_txn(ctx, c->d, &c->q, c->info.card_serial, 0, draft.number, out, &touched);
    c->verified = c->priced = 0; /* one write per verification */
    if (st == UVS_OK)
        return UVS_OK;
    memset(out, 0, sizeof *out);
    c->unconfirmed = touched;
    if (touched)
        return unconfirmed(ctx, st, &draft);
    /* the driver refused before writing: nothing can be on the card */
    char why[sizeof ctx->err.message];
    snprintf(why, sizeof why, "%s", ctx->err.message);
    if (card_pending_drop(ctx, draft.meter) != UVS_OK)
        return ctx->err.status;
    if (st == UVS_DRIVER || st == UVS_REFUSED)
        audit_append(ctx, NULL, "sale.refused", draft.meter, "%s", why);
    return uv_fail(&ctx->err, st, "%s", why);
}
