/* cardid.c — the card in the reader: which driver, which meter, authentic. */
#include "card.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "masterdata.h"
#include "money.h"
#include "services.h"
#include "typeindex.h"

#define CANDIDATES_MAX 16

uv_status card_readers_list(struct uv_ctx *ctx, FILE *out)
{
    char names[4096];
    size_t len = 0;
    int rc = cardchan_readers(&ctx->cards, names, sizeof names, &len);
    if (rc != UV_OK)
        return uv_fail(&ctx->err, UVS_IO, "%s", cardchan_detail(&ctx->cards));
    int any = 0;
    for (const char *p = names; p < names + len && *p; p += strlen(p) + 1) {
        const char *use = "";
        for (int s = 0; s < UV_CARD_SLOTS; s++) {
            const char *want = ctx->cards.slot[s].want;
            if (want[0] && strncmp(p, want, strlen(want)) == 0)
                use = s == UV_SLOT_USER ? "  <- card_reader (customer's cards)"
                                        : "  <- sam_reader (SAM)";
        }
        fprintf(out, "%s%s\n", p, use);
        any = 1;
    }
    if (!any)
        fprintf(out, "(no card readers)\n");
    if (!cardchan_configured(&ctx->cards))
        fprintf(out, "univend.conf names no reader: set card_reader = <a name above>\n");
    return UVS_OK;
}

/* A card channel failure as the clerk should read it. */
static uv_status channel_fail(struct uv_ctx *ctx, int rc)
{
    if (rc == UV_E_UNSUPPORTED)
        return uv_fail(&ctx->err, UVS_INPUT, "%s", cardchan_detail(&ctx->cards));
    return uv_fail(&ctx->err, UVS_IO, "%s", cardchan_detail(&ctx->cards));
}

uv_status card_wait_insert(struct uv_ctx *ctx, uint32_t timeout_ms)
{
    int rc = cardchan_wait(&ctx->cards, UV_SLOT_USER, 1, timeout_ms);
    if (rc == UV_E_RETRY)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no card was inserted within %u s",
                       timeout_ms / 1000);
    return rc == UV_OK ? UVS_OK : channel_fail(ctx, rc);
}

void card_release(struct uv_ctx *ctx, struct uv_card *c)
{
    cardchan_disconnect(&ctx->cards, UV_SLOT_USER, 1);
    if (c)
        c->verified = 0;
}

/* Refused: audited, nothing else changes. The message is for the clerk. */
static uv_status refuse(struct uv_ctx *ctx, const struct uv_card *c, const char *subject)
{
    audit_append(ctx, NULL, "card.refused", subject && *subject ? subject : "card",
                 "%s%s%s", ctx->err.message, c->info.card_serial[0] ? " card " : "",
                 c->info.card_serial);
    ctx->err.status = UVS_REFUSED;
    return UVS_REFUSED;
}

/* A driver's answer that is not a refusal of the card: the card went away
   or the reader failed. */
static int channel_rc(int rc)
{
    return rc == UV_E_MEDIUM_ABSENT || rc == UV_E_MEDIUM_IO;
}

static uv_status driver_channel_fail(struct uv_ctx *ctx, struct uv_loaded *d, int rc)
{
    const char *detail = cardchan_detail(&ctx->cards);
    driver_fail(ctx, d, rc, UVS_IO,
                rc == UV_E_MEDIUM_ABSENT ? "the card was taken out" : "the card could not be read");
    if (*detail) {
        size_t n = strlen(ctx->err.message);
        snprintf(ctx->err.message + n, sizeof ctx->err.message - n, "; %s", detail);
    }
    return UVS_IO;
}

/* The info a driver filled is ours to trust only as far as it is well
   formed: strings terminated, codes and numbers of the right alphabet. */
static int info_wellformed(struct uv_medium_info *i)
{
    if (memchr(i->meter_number, '\0', sizeof i->meter_number) == NULL ||
        memchr(i->type_code, '\0', sizeof i->type_code) == NULL ||
        memchr(i->card_serial, '\0', sizeof i->card_serial) == NULL)
        return 0;
    i->summary[sizeof i->summary - 1] = '\0';
    for (const char *p = i->card_serial; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return 0;
    return md_id_valid(i->meter_number) && loader_type_code_valid(i->type_code);
}

static void info_init(struct uv_medium_info *i)
{
    memset(i, 0, sizeof *i);
    i->struct_size = sizeof *i;
}

/* Which registered driver reads this card: the candidates by ATR, most
   specific first; "not one of mine" passes to the next. */
static uv_status read_identity(struct uv_ctx *ctx, struct uv_card *c, struct uv_loaded **reader)
{
    struct uv_card_candidate *cand = calloc(CANDIDATES_MAX, sizeof *cand);
    size_t n = 0;
    if (cand == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    uv_status st = typeindex_atr_candidates(ctx, c->atr, c->atr_len, cand, CANDIDATES_MAX, &n);
    if (st == UVS_OK && n == 0) {
        uv_fail(&ctx->err, UVS_REFUSED,
                "This card is not one this kiosk knows: no registered driver reads cards "
                "with ATR %s",
                c->atr_hex);
        st = refuse(ctx, c, "card");
    }
    for (size_t i = 0; st == UVS_OK && i < n; i++) {
        struct rec_typeidx e;
        struct uv_loaded *d;
        if ((st = typeindex_match(ctx, cand[i].entry.code, &d, &e)) != UVS_OK)
            break;
        if (d->desc->read_medium == NULL)
            continue;
        info_init(&c->info);
        int rc = d->desc->read_medium(d->dctx, &c->info);
        if (rc == UV_E_UNSUPPORTED)
            continue; /* not one of this driver's cards */
        if (channel_rc(rc)) {
            st = driver_channel_fail(ctx, d, rc);
        } else if (rc != UV_OK) {
            driver_fail(ctx, d, rc, UVS_REFUSED, "This card cannot be sold to");
            st = refuse(ctx, c, "card");
        } else if (!info_wellformed(&c->info)) {
            uv_fail(&ctx->err, UVS_REFUSED,
                    "%s read a malformed meter number or type code from this card",
                    d->info.name);
            st = refuse(ctx, c, "card");
        } else {
            *reader = d;
            free(cand);
            return UVS_OK;
        }
    }
    if (st == UVS_OK) {
        uv_fail(&ctx->err, UVS_REFUSED,
                "This card is not one this kiosk knows: the drivers for its ATR %s do not "
                "recognise it (blank, or another utility's)",
                c->atr_hex);
        st = refuse(ctx, c, "card");
    }
    free(cand);
    return st;
}

uv_status card_identify(struct uv_ctx *ctx, struct uv_card *c)
{
    memset(c, 0, sizeof *c);
    if (!cardchan_configured(&ctx->cards))
        return uv_fail(&ctx->err, UVS_INPUT,
                       "no card reader is configured: set card_reader in univend.conf "
                       "(univend card readers lists the readers)");
    int rc = cardchan_connect(&ctx->cards, UV_SLOT_USER);
    if (rc == UV_OK)
        rc = cardchan_atr(&ctx->cards, UV_SLOT_USER, c->atr, sizeof c->atr, &c->atr_len);
    if (rc != UV_OK)
        return channel_fail(ctx, rc);
    loader_atr_hex(c->atr, c->atr_len, c->atr_hex);
    /* keys first: a locked key store is a kiosk problem, not a card's */
    uv_status st = services_unlock_keys(ctx);
    struct uv_loaded *reader = NULL;
    if (st == UVS_OK)
        st = read_identity(ctx, c, &reader);
    if (st != UVS_OK)
        return st;
    const char *num = c->info.meter_number, *type = c->info.type_code;
    struct rec_typeidx e;
    st = store_get_rec(&ctx->store, NULL, UV_DB_TYPEIDX, type, strlen(type), &rec_typeidx_layout,
                       &e, 0, &ctx->err);
    if (st == UVS_NOTFOUND) {
        uv_fail(&ctx->err, UVS_REFUSED, "This card (type %s) has no driver on this kiosk", type);
        return refuse(ctx, c, num);
    }
    if (st == UVS_OK)
        st = typeindex_match(ctx, type, &c->d, &c->q.driver);
    if (st != UVS_OK)
        return st;
    if (c->d != reader) {
        /* the type's own driver reads the card too, and must agree */
        struct uv_medium_info again;
        info_init(&again);
        rc = c->d->desc->read_medium ? c->d->desc->read_medium(c->d->dctx, &again) : UV_E_UNSUPPORTED;
        if (channel_rc(rc))
            return driver_channel_fail(ctx, c->d, rc);
        if (rc != UV_OK || !info_wellformed(&again) || strcmp(again.meter_number, num) != 0 ||
            strcmp(again.type_code, type) != 0) {
            uv_fail(&ctx->err, UVS_REFUSED,
                    "This card (type %s) is read differently by %s and by %s, the driver of "
                    "its type",
                    type, reader->info.name, c->d->info.name);
            return refuse(ctx, c, num);
        }
    }
    st = meter_get(ctx, NULL, num, &c->q.meter, 0);
    if (st == UVS_NOTFOUND) {
        uv_fail(&ctx->err, UVS_REFUSED,
                "This card is for meter %s, which is not registered at this kiosk", num);
        return refuse(ctx, c, num);
    }
    if (st != UVS_OK)
        return st;
    if (strcmp(c->q.meter.type_code, type) != 0) {
        uv_fail(&ctx->err, UVS_REFUSED,
                "This card says meter %s is of type %s, but this kiosk has it as type %s", num,
                type, c->q.meter.type_code);
        return refuse(ctx, c, num);
    }
    /* TODO(blacklist): refuse c->info.card_serial when the head office's
       blacklist (instruction files) lists it, once that is in the core. */
    struct uv_param_set ps;
    struct uv_meter view;
    if ((st = meter_view(ctx, &c->q.meter, &ps, &view)) != UVS_OK)
        return st;
    char serial[sizeof c->info.card_serial];
    snprintf(serial, sizeof serial, "%s", c->info.card_serial);
    info_init(&c->info);
    rc = c->d->desc->verify(c->d->dctx, &view, &c->info);
    if (channel_rc(rc))
        return driver_channel_fail(ctx, c->d, rc);
    if (rc != UV_OK) {
        snprintf(c->info.card_serial, sizeof c->info.card_serial, "%s", serial);
        driver_fail(ctx, c->d, rc, UVS_REFUSED, "card refused");
        return refuse(ctx, c, num);
    }
    if (!info_wellformed(&c->info) || strcmp(c->info.meter_number, num) != 0 ||
        strcmp(c->info.card_serial, serial) != 0) {
        snprintf(c->info.card_serial, sizeof c->info.card_serial, "%s", serial);
        uv_fail(&ctx->err, UVS_REFUSED, "%s verified the card but described another one",
                c->d->info.name);
        return refuse(ctx, c, num);
    }
    snprintf(c->q.verify_summary, sizeof c->q.verify_summary, "%s", c->info.summary);
    if ((st = customer_get(ctx, NULL, c->q.meter.customer, &c->q.customer)) != UVS_OK ||
        (st = tariff_get(ctx, NULL, c->q.meter.tariff, &c->q.tariff)) != UVS_OK)
        return st;
    c->verified = 1;
    if ((st = card_settle(ctx, c)) != UVS_OK)
        return st;
    return card_store_report(ctx, c);
}

void card_describe(struct uv_ctx *ctx, const struct uv_card *c, FILE *out)
{
    const struct uv_medium_info *i = &c->info;
    char a[32];
    fprintf(out, "card:        %s (ATR %s)\n", i->card_serial[0] ? i->card_serial : "-", c->atr_hex);
    fprintf(out, "type:        %s, driver %s %s (%s)\n", i->type_code, c->q.driver.driver,
            c->q.driver.version, c->q.driver.file);
    fprintf(out, "meter:       %s, customer %s (%s), tariff %s\n", c->q.meter.number,
            c->q.customer.id, c->q.customer.name, c->q.tariff.id);
    fprintf(out, "check:       %s\n", i->summary);
    fprintf(out, "last credit: sequence %llu\n", (unsigned long long)i->last_sequence);
    if (i->flags & UV_INFO_PENDING) {
        energy_format(i->pending_amount, a, sizeof a);
        fprintf(out, "on the card: %s kWh not yet loaded into the meter\n", a);
    }
    if (i->flags & UV_INFO_METER_DATA) {
        energy_format(i->meter_remaining, a, sizeof a);
        if (i->meter_tamper)
            fprintf(out, "meter says:  %s kWh remaining; TAMPER reported (bits 0x%X)%s\n", a,
                    i->meter_tamper, c->report_new ? " (new report)" : "");
        else
            fprintf(out, "meter says:  %s kWh remaining, no tamper%s\n", a,
                    c->report_new ? " (new report)" : "");
    }
    (void)ctx;
}
