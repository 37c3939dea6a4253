/* cli_card.c — `univend card ...` and `univend sell --card`. */
#include "cli_card.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "receipt.h"

static const char card_usage[] =
    "usage: univend card readers               the PC/SC readers, and which one is which\n"
    "       univend card read [--wait S]       identify and check the card, show what it says\n"
    "       univend card pending               card writes not settled yet\n"
    "       univend card pending clear METER --reason TEXT   (supervisor; the card is lost)\n"
    "       univend sell --card AMOUNT [--wait S]           sell on the card in the reader\n";

static int card_fail(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

static int bad_usage(const char *why)
{
    fprintf(stderr, "univend: %s\n%s", why, card_usage);
    return UVS_USAGE;
}

/* Seconds to wait for the card: --wait, else card_wait_seconds. */
static int wait_ms(struct uv_ctx *ctx, const char *text, uint32_t *ms)
{
    unsigned long s = ctx->cfg.card_wait_seconds;
    if (text) {
        char *end;
        errno = 0;
        s = strtoul(text, &end, 10);
        if (text[0] < '0' || text[0] > '9' || *end || errno || s > 3600)
            return -1;
    }
    *ms = (uint32_t)(s * 1000);
    return 0;
}

/* The card in the reader, waited for, identified, checked and settled. */
static uv_status read_card(struct uv_ctx *ctx, const char *wait_text, struct uv_card *c)
{
    uint32_t ms;
    if (wait_ms(ctx, wait_text, &ms) != 0)
        return uv_fail(&ctx->err, UVS_USAGE, "--wait needs seconds (0..3600)");
    if (cardchan_configured(&ctx->cards) && cardchan_wait(&ctx->cards, UV_SLOT_USER, 1, 0) != UV_OK &&
        ms)
        fprintf(stderr, "univend: insert the customer's card (waiting up to %u s)...\n",
                (unsigned)(ms / 1000));
    uv_status st = card_wait_insert(ctx, ms);
    if (st == UVS_OK)
        st = card_identify(ctx, c);
    return st;
}

static void say_settled(const struct uv_card *c, FILE *out)
{
    if (c->settled == CARD_SETTLED_SOLD)
        fprintf(out,
                "EARLIER SALE COMPLETED: the card holds the credit of the write that was not "
                "confirmed (sequence %llu); it is recorded now as receipt %llu.\n",
                (unsigned long long)c->settled_sequence,
                (unsigned long long)c->settled_receipt.number);
    else if (c->settled == CARD_SETTLED_NOTHING)
        fprintf(out,
                "EARLIER SALE NOT MADE: the write that was not confirmed (sequence %llu) did not "
                "reach the card; nothing was sold then.\n",
                (unsigned long long)c->settled_sequence);
}

static int cmd_read(struct uv_ctx *ctx, const char *wait_text)
{
    struct uv_card *c = calloc(1, sizeof *c);
    if (c == NULL)
        return card_fail(ctx, uv_fail(&ctx->err, UVS_NOMEM, "out of memory"));
    uv_status st = read_card(ctx, wait_text, c);
    if (st == UVS_OK) {
        card_describe(ctx, c, stdout);
        say_settled(c, stdout);
        if (c->settled == CARD_SETTLED_SOLD)
            receipt_print(ctx, &c->settled_receipt, stdout);
    }
    card_release(ctx, c);
    free(c);
    return card_fail(ctx, st);
}

int cli_card(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return bad_usage("card: which action?");
    const char *act = argv[0];
    if (strcmp(act, "readers") == 0 && argc == 1)
        return card_fail(ctx, card_readers_list(ctx, stdout));
    if (strcmp(act, "read") == 0 && (argc == 1 || (argc == 3 && strcmp(argv[1], "--wait") == 0)))
        return cmd_read(ctx, argc == 3 ? argv[2] : NULL);
    if (strcmp(act, "pending") == 0 && argc == 1)
        return card_fail(ctx, card_pending_list(ctx, stdout));
    if (strcmp(act, "pending") == 0 && argc == 5 && strcmp(argv[1], "clear") == 0 &&
        strcmp(argv[3], "--reason") == 0) {
        uv_status st = card_pending_clear(ctx, argv[2], argv[4]);
        if (st == UVS_OK)
            printf("the card write waiting for meter %s is cleared\n", argv[2]);
        return card_fail(ctx, st);
    }
    return bad_usage("card readers | read [--wait S] | pending [clear METER --reason TEXT]");
}

int cli_sell_card(struct uv_ctx *ctx, const char *amount_text, const char *wait_text,
                  struct rec_receipt *r, int *sold)
{
    *sold = 0;
    struct uv_card *c = calloc(1, sizeof *c);
    if (c == NULL)
        return card_fail(ctx, uv_fail(&ctx->err, UVS_NOMEM, "out of memory"));
    uv_status st = read_card(ctx, wait_text, c);
    if (st == UVS_OK) {
        say_settled(c, stdout);
        if (c->settled == CARD_SETTLED_SOLD) {
            /* the customer has what was paid for; a new sale is a new decision */
            printf("No new sale was made.\n");
            *r = c->settled_receipt;
            *sold = 1;
        } else {
            printf("Card %s, meter %s: %s\n", c->info.card_serial, c->q.meter.number,
                   c->info.summary);
            st = card_quote(ctx, c, amount_text);
            if (st == UVS_OK)
                st = card_sell(ctx, c, r);
            if (st == UVS_OK) {
                printf("CARD WRITTEN: card %s carries the credit of receipt %llu\n",
                       r->card_serial, (unsigned long long)r->number);
                *sold = 1;
            }
        }
    }
    card_release(ctx, c);
    free(c);
    return card_fail(ctx, st);
}
