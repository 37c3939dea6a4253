/*
 * sale.c — meter number -> amount -> confirm -> token; or, F3 on the meter
 * step, a card sale: insert the card -> amount -> confirm -> card written.
 *
 * Nothing is stored before the clerk confirms: the meter step calls only
 * meter_hint() and vend_lookup(), the amount step vend_quote(); vend_sell()
 * runs on Enter/F10 at the confirm step. Esc goes back one step. Once the
 * sale is committed the token screen stays until Enter or Esc, which both
 * start a new sale (the receipt is stored and can be reprinted).
 *
 * A card sale calls the core's card functions (src/card.h) exactly as the
 * command line does: card_wait_insert() a quarter second at a time so Esc
 * still works, card_identify() (the card checked, an earlier unconfirmed
 * write settled, the meter's report stored), card_quote() on the amount,
 * card_sell() on confirm. The card is let go (card_release) when the card
 * sale ends, however it ends.
 */
#include "kiosk.h"

#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "clock.h"
#include "credit.h"
#include "export.h"
#include "i18n.h"
#include "masterdata.h"
#include "print.h"
#include "receipt.h"
#include "vend.h"

enum step { S_METER, S_AMOUNT, S_CONFIRM, S_TOKEN, S_CARD_WAIT };

struct sale {
    enum step step;
    struct ui_field meter, amount;
    char amount_label[64];
    enum meter_hint hint;
    struct rec_meter m;
    char looked_up[256]; /* the number vend_lookup last ran for */
    int lookup_ok;
    int lookup_again;    /* the last lookup failed in the store: retry on Enter */
    char lookup_err[600];
    struct uv_quote q;
    struct rec_receipt r;
    char print_msg[600];
    int print_kind;
    int card_mode;       /* a card sale: the meter is the card's        */
    struct uv_card card; /* the card in the reader, while card_mode     */
};

/* ---- large digits ---------------------------------------------------------
 * A 3x5 pixel font. With UTF-8 it is drawn with half blocks in 3 rows per
 * digit; otherwise with '#' in 5 rows. */
static const char *const font[10][5] = {
    {"###", "#.#", "#.#", "#.#", "###"}, {".#.", "##.", ".#.", ".#.", "###"},
    {"###", "..#", "###", "#..", "###"}, {"###", "..#", "###", "..#", "###"},
    {"#.#", "#.#", "###", "..#", "..#"}, {"###", "#..", "###", "..#", "###"},
    {"###", "#..", "###", "#.#", "###"}, {"###", "..#", "..#", "..#", "..#"},
    {"###", "#.#", "###", "#.#", "###"}, {"###", "#.#", "###", "..#", "###"},
};

static int big_rows(const struct kiosk *k)
{
    return k->utf8 ? 3 : 5;
}

/* One digit's text row r (0..big_rows-1) into out (UTF-8). */
static void big_digit_row(const struct kiosk *k, int d, int r, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    if (d < 0 || d > 9)
        return;
    for (int col = 0; col < 3; col++) {
        const char *px;
        if (!k->utf8) {
            px = font[d][r][col] == '#' ? "#" : " ";
        } else {
            int top = font[d][2 * r][col] == '#';
            int bot = 2 * r + 1 < 5 && font[d][2 * r + 1][col] == '#';
            px = top && bot ? "\xe2\x96\x88" : top ? "\xe2\x96\x80" : bot ? "\xe2\x96\x84" : " ";
        }
        size_t n = strlen(px);
        if (o + n + 1 > cap)
            break;
        memcpy(out + o, px, n);
        o += n;
        out[o] = '\0';
    }
}

/* Draw digits (a run of groups of 4) at content (y, x); returns rows used. */
static int big_groups(const struct kiosk *k, int y, int x, const char *digits, size_t n)
{
    int rows = big_rows(k);
    for (int r = 0; r < rows; r++) {
        int cx = x;
        for (size_t i = 0; i < n; i++) {
            char cell[16];
            big_digit_row(k, digits[i] - '0', r, cell, sizeof cell);
            ui_put(y + r, cx, 3, A_BOLD, cell);
            cx += (i % 4 == 3) ? 6 : 4; /* 1 column between digits, 3 between groups */
        }
    }
    return rows;
}

/* The whole token: groups 1-3 on one band, 4-5 on the next. */
static int big_token(const struct kiosk *k, int y, const char *token)
{
    char d[64];
    size_t n = 0;
    for (const char *p = token; *p && n < sizeof d - 1; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    d[n] = '\0';
    if (n == 0)
        return 0;
    size_t first = n > 12 ? 12 : n;
    int w1 = (int)(first / 4) * 18 - 3 + (int)(first % 4) * 4;
    int x = (ui_width() - w1) / 2;
    if (x < 0)
        x = 0;
    int used = big_groups(k, y, x, d, first) + 1;
    if (n > first) {
        size_t rest = n - first;
        int w2 = (int)(rest / 4) * 18 - 3 + (int)(rest % 4) * 4;
        int x2 = (ui_width() - w2) / 2;
        used += big_groups(k, y + used, x2 < 0 ? 0 : x2, d + first, rest);
    }
    return used;
}

/* ---- drawing ---------------------------------------------------------------- */

/* The vending credit's warning (low, used up, expired, none) on the last
   content row, when there is one. */
static void draw_credit_warning(struct kiosk *k)
{
    struct credit_status cs;
    char line[400];
    uv_status st = credit_status(k->ctx, &cs);
    ui_check_fatal(k, st);
    if (st == UVS_OK && credit_warning(k->ctx, &cs, line, sizeof line)) {
        attr_t a = has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
        ui_put(ui_bottom(), 2, ui_width() - 4, a, line);
    }
}

static void put_pair(int y, int x, int lw, const char *label, const char *value, int w)
{
    ui_put(y, x, lw, A_BOLD, label);
    ui_put(y, x + lw, w - lw, A_NORMAL, value);
}

static void hint_text(struct kiosk *k, struct sale *s, char *buf, size_t cap, attr_t *a)
{
    char n[24];
    *a = A_NORMAL;
    switch (s->hint) {
    case MH_EMPTY:
        snprintf(buf, cap, "%s", tr(M_SALE_HINT_EMPTY));
        break;
    case MH_TYPING:
        snprintf(n, sizeof n, "%zu", strlen(s->meter.buf));
        trf(buf, cap, M_SALE_HINT_TYPING, n, NULL, NULL);
        break;
    case MH_BAD_CHECK:
        snprintf(buf, cap, "%s", tr(M_SALE_HINT_BADCHECK));
        *a = A_BOLD | A_REVERSE;
        break;
    case MH_UNKNOWN:
        snprintf(buf, cap, "%s", tr(M_SALE_HINT_UNKNOWN));
        *a = A_BOLD;
        break;
    case MH_ERROR:
        snprintf(buf, cap, "%s", tr(M_SALE_HINT_ERROR));
        *a = A_BOLD | A_REVERSE;
        break;
    case MH_FOUND:
        if (s->lookup_ok) {
            snprintf(buf, cap, "%s", tr(M_SALE_HINT_FOUND));
            *a = has_colors() ? (COLOR_PAIR(3) | A_BOLD) : A_BOLD;
        } else {
            snprintf(buf, cap, "%s", tr(M_SALE_HINT_REFUSED));
            *a = A_BOLD | A_REVERSE;
        }
        break;
    }
    (void)k;
}

static void draw_entry(struct kiosk *k, struct sale *s)
{
    static const enum msg help[] = {[S_METER] = M_HELP_SALE_METER,
                                    [S_AMOUNT] = M_HELP_SALE_AMOUNT,
                                    [S_CONFIRM] = M_HELP_SALE_CONFIRM};
    ui_frame(k, tr(s->step == S_CONFIRM ? M_SALE_CONFIRM_TITLE : M_SALE_TITLE),
             tr(s->card_mode && s->step == S_AMOUNT ? M_HELP_SALE_CARD_AMOUNT : help[s->step]));
    char buf[600], a[64], b[64], c[160];
    int y = ui_top(), lw = 16, W = ui_width() - 4;
    int cx = ui_field_draw(y, 2, lw - 1, &s->meter, s->step == S_METER);
    if (s->step == S_METER)
        ui_cursor(y, cx);
    attr_t ha;
    hint_text(k, s, buf, sizeof buf, &ha);
    ui_put(y, 2 + lw + s->meter.width + 3, W - lw - s->meter.width - 3, ha, buf);
    y += 2;
    if (s->hint == MH_FOUND && s->lookup_ok) {
        const struct uv_quote *q = &s->q;
        snprintf(buf, sizeof buf, "%s (%s)%s%s", q->customer.name, q->customer.id,
                 q->customer.address[0] ? ", " : "", q->customer.address);
        put_pair(y++, 2, lw, tr(M_SALE_CUSTOMER), buf, W);
        put_pair(y++, 2, lw, tr(M_SALE_TYPE), q->meter.type_code, W);
        snprintf(buf, sizeof buf, "%s %s (%s)", q->driver.driver, q->driver.version,
                 q->driver.file);
        put_pair(y++, 2, lw, tr(M_SALE_DRIVER), buf, W);
        price_format(q->tariff.price_milli, k->ctx->cfg.currency_decimals, a, sizeof a);
        ui_percent(q->tariff.vat_bp, b, sizeof b);
        trf(c, sizeof c, M_SALE_PER_KWH, a, k->ctx->cfg.currency, NULL);
        snprintf(buf, sizeof buf, "%s %s, %s, %s %s", q->tariff.id, q->tariff.name, c,
                 tr(M_SALE_VAT), b);
        put_pair(y++, 2, lw, tr(M_SALE_TARIFF), buf, W);
        if (q->verify_summary[0])
            put_pair(y, 2, lw, tr(M_SALE_CHECK), q->verify_summary, W);
        y++;
        if (s->card_mode && (s->card.info.flags & UV_INFO_METER_DATA)) {
            const struct uv_medium_info *i = &s->card.info;
            char t[16];
            ui_energy(i->meter_remaining, a, sizeof a);
            snprintf(t, sizeof t, "%X", i->meter_tamper);
            trf(buf, sizeof buf, i->meter_tamper ? M_CARD_REPORT_TAMPER : M_CARD_REPORT, a, t,
                NULL);
            put_pair(y++, 2, lw, tr(M_SALE_METER_SAYS), buf, W);
        }
    } else if (s->hint == MH_FOUND) {
        ui_wrap(y, ui_x0() + 2, W, 3, A_BOLD, s->lookup_err);
        y += 5;
    } else {
        y += 5;
    }
    y++;
    if (s->step >= S_AMOUNT) {
        int ax = ui_field_draw(y, 2, lw - 1, &s->amount, s->step == S_AMOUNT);
        if (s->step == S_AMOUNT)
            ui_cursor(y, ax);
        money_format(k->ctx->cfg.min_sale, k->ctx->cfg.currency_decimals, a, sizeof a);
        money_format(k->ctx->cfg.max_sale, k->ctx->cfg.currency_decimals, b, sizeof b);
        trf(buf, sizeof buf, M_SALE_RANGE, a, b, k->ctx->cfg.currency);
        ui_put(y, 2 + lw + s->amount.width + 3, W - lw - s->amount.width - 3, A_NORMAL, buf);
        y += 2;
    }
    if (s->step == S_CONFIRM) {
        const struct tariff_sale *fs = &s->q.sale;
        ui_energy(fs->energy_wh, a, sizeof a);
        if (fs->lifeline_wh) {
            char freebuf[160], line[240];
            ui_energy(fs->lifeline_wh, b, sizeof b);
            trf(freebuf, sizeof freebuf, M_SALE_FREE, b, NULL, NULL);
            snprintf(line, sizeof line, "%s  %s", a, freebuf);
            put_pair(y++, 4, lw, tr(M_SALE_ENERGY), line, W);
        } else {
            put_pair(y++, 4, lw, tr(M_SALE_ENERGY), a, W);
        }
        if (fs->debt_recovered) {
            ui_money(k, fs->debt_recovered, a, sizeof a);
            put_pair(y++, 4, lw, tr(M_SALE_DEBT), a, W);
        }
        if (fs->fixed_charge) {
            ui_money(k, fs->fixed_charge, a, sizeof a);
            put_pair(y++, 4, lw, tr(M_SALE_FIXED), a, W);
        }
        if (fs->levies) {
            ui_money(k, fs->levies, a, sizeof a);
            put_pair(y++, 4, lw, tr(M_SALE_LEVIES), a, W);
        }
        ui_money(k, fs->energy_cost + fs->levies + fs->fixed_charge, a, sizeof a);
        put_pair(y++, 4, lw, tr(M_SALE_NET), a, W);
        ui_percent(s->q.tariff.vat_bp, b, sizeof b);
        snprintf(c, sizeof c, "%s %s", tr(M_SALE_VAT), b);
        ui_money(k, fs->vat, a, sizeof a);
        put_pair(y++, 4, lw, c, a, W);
        ui_money(k, fs->total, a, sizeof a);
        ui_put(y, 4, lw, A_BOLD, tr(M_SALE_TOTAL));
        ui_put(y++, 4 + lw, W - lw, A_BOLD | A_UNDERLINE, a);
        if (fs->change) {
            ui_money(k, fs->change, a, sizeof a);
            put_pair(y++, 4, lw, tr(M_SALE_CHANGE), a, W);
        }
        y++;
        ui_put(y, 4, W, A_BOLD | A_REVERSE,
               tr(s->card_mode ? M_SALE_CONFIRM_ASK_CARD : M_SALE_CONFIRM_ASK));
    } else {
        draw_credit_warning(k);
    }
}

static void draw_card_wait(struct kiosk *k)
{
    char buf[300];
    ui_frame(k, tr(M_CARD_TITLE), tr(M_HELP_CARD_WAIT));
    int y = ui_top() + 2, W = ui_width() - 4;
    ui_put(y, 4, W, A_BOLD, tr(M_CARD_INSERT));
    trf(buf, sizeof buf, M_CARD_READER, k->ctx->cfg.card_reader, NULL, NULL);
    ui_put(y + 2, 4, W, A_NORMAL, buf);
}

static void draw_token(struct kiosk *k, struct sale *s)
{
    const struct rec_receipt *r = &s->r;
    char buf[600], a[64], b[64];
    ui_frame(k, tr(M_TOKEN_TITLE), tr(M_HELP_TOKEN));
    int y = ui_top(), W = ui_width() - 4;
    trf(buf, sizeof buf, M_TOKEN_FOR, r->meter, s->q.customer.name, NULL);
    ui_put(y, 2, W, A_BOLD, buf);
    y += 2;
    if (r->n_tokens == 0) {
        ui_put(y, 2, W, A_BOLD | A_REVERSE, tr(M_TOKEN_CARD_WRITTEN));
        y += 2;
    } else {
        y += big_token(k, y, r->tokens[0]) + 1;
        for (uint32_t i = 0; i < r->n_tokens && i < REC_TOKENS; i++) {
            char g[REC_TOKEN_MAX * 2];
            token_group(r->tokens[i], g, sizeof g);
            if (r->n_tokens > 1) {
                char nn[16];
                snprintf(nn, sizeof nn, "%u/%u", i + 1, r->n_tokens);
                snprintf(buf, sizeof buf, "%s %s  %s", tr(M_TOKEN_LABEL), nn, g);
            } else {
                snprintf(buf, sizeof buf, "%s  %s", tr(M_TOKEN_LABEL), g);
            }
            char line[700];
            snprintf(line, sizeof line, "  %s  ", buf);
            int w = ui_textwidth(line);
            ui_put(y++, (ui_width() - w) / 2, w, A_BOLD | A_REVERSE, line);
        }
    }
    y++;
    int lw = 12, col2 = 40;
    snprintf(a, sizeof a, "%llu", (unsigned long long)r->number);
    put_pair(y, 4, lw, tr(M_TOKEN_RECEIPT), a, 36);
    ui_time(r->time, b, sizeof b);
    put_pair(y++, col2, lw, tr(M_TOKEN_TIME), b, 36);
    ui_energy(r->energy_wh, a, sizeof a);
    put_pair(y, 4, lw, tr(M_SALE_ENERGY), a, 36);
    ui_money(k, r->gross, b, sizeof b);
    put_pair(y++, col2, lw, tr(M_TOKEN_PAID), b, 36);
    ui_money(k, r->net, a, sizeof a);
    put_pair(y, 4, lw, tr(M_SALE_NET), a, 36);
    char vl[160];
    ui_percent(r->vat_bp, b, sizeof b);
    snprintf(vl, sizeof vl, "%s %s", tr(M_SALE_VAT), b);
    ui_money(k, r->vat, b, sizeof b);
    put_pair(y++, col2, lw, vl, b, 36);
    put_pair(y, 4, lw, tr(M_TOKEN_CLERK), r->clerk, 36);
    if (r->token_id[0] && y <= ui_bottom())
        put_pair(y, col2, lw, tr(M_TOKEN_TID), r->token_id, 36);
    if (y < ui_bottom())
        draw_credit_warning(k);
    if (!k->msg[0] && s->print_msg[0])
        ui_msg(k, s->print_kind, s->print_msg);
}

/* ---- steps ------------------------------------------------------------------- */

/* End a card sale: the card is let go, the screen back to the meter. */
static void card_end(struct kiosk *k, struct sale *s)
{
    if (s->card_mode)
        card_release(k->ctx, &s->card);
    s->card_mode = 0;
    memset(&s->card, 0, sizeof s->card);
}

static void sale_reset(struct kiosk *k, struct sale *s)
{
    card_end(k, s);
    memset(s, 0, sizeof *s);
    ui_field_init(&s->meter, tr(M_SALE_METER), 20, UF_DIGITS, NULL);
    s->meter.width = 20;
    snprintf(s->amount_label, sizeof s->amount_label, "%s (%s)", tr(M_SALE_AMOUNT),
             k->ctx->cfg.currency);
    ui_field_init(&s->amount, s->amount_label, 16, UF_AMOUNT, NULL);
    s->amount.width = 14;
    s->step = S_METER;
    s->hint = MH_EMPTY;
}

static void meter_changed(struct kiosk *k, struct sale *s)
{
    s->hint = meter_hint(k->ctx, s->meter.buf, &s->m);
    if (s->hint == MH_ERROR) {
        snprintf(s->lookup_err, sizeof s->lookup_err, "%s", k->ctx->err.message);
        s->lookup_again = 1;
        return;
    }
    if (s->hint != MH_FOUND || (strcmp(s->looked_up, s->meter.buf) == 0 && !s->lookup_again))
        return;
    /* a meter of this kiosk: match its driver and verify it, once */
    snprintf(s->looked_up, sizeof s->looked_up, "%s", s->meter.buf);
    memset(&s->q, 0, sizeof s->q);
    uv_status st = vend_lookup(k->ctx, s->meter.buf, &s->q);
    ui_check_fatal(k, st);
    s->lookup_ok = st == UVS_OK;
    s->lookup_again = st == UVS_STORE;
    snprintf(s->lookup_err, sizeof s->lookup_err, "%s", st == UVS_OK ? "" : k->ctx->err.message);
}

static void do_print(struct kiosk *k, struct sale *s)
{
    if (!k->ctx->cfg.printer[0]) {
        snprintf(s->print_msg, sizeof s->print_msg, "%s", tr(M_PRINT_NONE));
        s->print_kind = MSG_INFO;
        return;
    }
    uv_status st = print_receipt(k->ctx, &s->r);
    ui_check_fatal(k, st);
    if (st == UVS_OK) {
        snprintf(s->print_msg, sizeof s->print_msg, "%s", tr(M_PRINT_OK));
        s->print_kind = MSG_OK;
    } else {
        trf(s->print_msg, sizeof s->print_msg, M_PRINT_FAILED, k->ctx->err.message, NULL, NULL);
        s->print_kind = MSG_ERR;
    }
}

static void confirm(struct kiosk *k, struct sale *s)
{
    ui_mark(k, "confirm");
    ui_msg(k, MSG_INFO, tr(M_SALE_SELLING));
    ui_refresh(k);
    memset(&s->r, 0, sizeof s->r);
    uv_status st;
    if (s->card_mode) {
        ui_msg(k, MSG_INFO, tr(M_CARD_WRITING));
        ui_refresh(k);
        st = card_sell(k->ctx, &s->card, &s->r);
        if (st != UVS_OK) { /* the card sale is over either way */
            char why[sizeof k->ctx->err.message];
            snprintf(why, sizeof why, "%s", k->ctx->err.message);
            int unconfirmed = s->card.unconfirmed;
            sale_reset(k, s);
            ui_check_fatal(k, st);
            k->msg[0] = '\0';
            if (unconfirmed) /* what to do now matters: the whole text, until a key */
                ui_notice(k, tr(M_CARD_UNCONFIRMED_TITLE), why);
            ui_msg(k, MSG_ERR, why);
            return;
        }
        card_end(k, s);
    } else {
        st = vend_sell(k->ctx, s->meter.buf, s->amount.buf, &s->r);
    }
    if (ui_show_failure(k, st))
        return;
    k->msg[0] = '\0';
    s->step = S_TOKEN;
    s->print_msg[0] = '\0';
    draw_token(k, s);
    ui_refresh(k);
    ui_mark(k, "token");
    do_print(k, s);
    ui_msg(k, s->print_kind, s->print_msg);
    /* a periodic export, when one is due: the kiosk's own doing */
    struct rec_export e;
    int written = 0;
    char line[700];
    if (export_if_due(k->ctx, &e, &written) != UVS_OK) {
        trf(line, sizeof line, M_EXPORT_FAILED, k->ctx->err.message, NULL, NULL);
        ui_msg(k, MSG_ERR, line);
    } else if (written) {
        trf(line, sizeof line, M_EXPORT_WRITTEN, e.name, NULL, NULL);
        ui_msg(k, MSG_OK, line);
    }
}

static int clock_confirm_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    (void)n;
    (void)arg;
    uv_status st = clock_confirm_as(k->ctx, f[0].buf, f[1].buf);
    ui_wipe(f[1].buf, sizeof f[1].buf);
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(M_SUP_CLOCK_CONFIRMED));
    return 1;
}

/* Before the first sale: a clock behind the floor cannot sell (a supervisor
   sets the time); a clock jumped far ahead sells once a supervisor has
   confirmed it, here, with their id and PIN. 1: the clock is fine. */
static int sale_clock_ok(struct kiosk *k)
{
    struct clock_state cs;
    uv_status st = clock_state(k->ctx, NULL, &cs);
    if (ui_show_failure(k, st))
        return 0;
    if (cs.verdict == CLOCK_OK)
        return 1;
    st = clock_guard_audited(k->ctx); /* the refusal, audited, with its message */
    ui_check_fatal(k, st);
    if (cs.verdict == CLOCK_BEHIND) {
        ui_notice(k, tr(M_SUP_CLOCK), k->ctx->err.message);
        return 0;
    }
    char intro[600], now[32], last[32];
    ui_time(cs.now, now, sizeof now);
    ui_time(cs.activity, last, sizeof last);
    trf(intro, sizeof intro, M_SALE_CLOCK_INTRO, now, last, NULL);
    struct ui_field f[2];
    ui_field_init(&f[0], tr(M_LOGIN_CLERK), 31, UF_ASCII, NULL);
    ui_field_init(&f[1], tr(M_LOGIN_PIN), 12, UF_DIGITS | UF_MASK, NULL);
    int ok = ui_form(k, tr(M_SALE_CLOCK_TITLE), intro, f, 2, clock_confirm_submit, NULL);
    ui_wipe(f, sizeof f);
    return ok;
}

/* F3: wait for the card (Esc cancels), identify and settle it. */
static void card_start(struct kiosk *k, struct sale *s)
{
    char line[700];
    sale_reset(k, s);
    s->step = S_CARD_WAIT;
    for (;;) {
        draw_card_wait(k);
        ui_refresh(k);
        uv_status st = card_wait_insert(k->ctx, 250);
        if (st == UVS_OK)
            break;
        if (st != UVS_NOTFOUND) { /* no reader, pcscd down... */
            s->step = S_METER;
            ui_show_failure(k, st);
            return;
        }
        int c = ui_key_within(k, 50);
        if (c == K_UNWIND || c == K_ESC) {
            s->step = S_METER;
            return;
        }
    }
    ui_msg(k, MSG_INFO, tr(M_CARD_READING));
    ui_refresh(k);
    s->card_mode = 1;
    uv_status st = card_identify(k->ctx, &s->card);
    if (st != UVS_OK) {
        char why[sizeof k->ctx->err.message];
        snprintf(why, sizeof why, "%s", k->ctx->err.message);
        sale_reset(k, s);
        ui_check_fatal(k, st);
        ui_msg(k, MSG_ERR, why);
        return;
    }
    if (s->card.settled == CARD_SETTLED_SOLD) {
        /* the customer has what was paid for: show that receipt, sell nothing */
        s->r = s->card.settled_receipt;
        s->q = s->card.q;
        card_end(k, s);
        s->step = S_TOKEN;
        snprintf(line, sizeof line, "%llu", (unsigned long long)s->r.number);
        trf(s->print_msg, sizeof s->print_msg, M_CARD_SETTLED_SOLD, line, NULL, NULL);
        s->print_kind = MSG_OK;
        k->msg[0] = '\0';
        return;
    }
    if (s->card.settled == CARD_SETTLED_NOTHING)
        ui_msg(k, MSG_INFO, tr(M_CARD_SETTLED_NOTHING));
    else
        k->msg[0] = '\0'; /* the card is read */
    /* the meter is the card's: show it as if typed and found */
    snprintf(s->meter.buf, sizeof s->meter.buf, "%s", s->card.q.meter.number);
    s->meter.flags |= UF_READONLY;
    s->m = s->card.q.meter;
    s->q = s->card.q;
    s->hint = MH_FOUND;
    s->lookup_ok = 1;
    snprintf(s->looked_up, sizeof s->looked_up, "%s", s->meter.buf);
    s->step = S_AMOUNT;
}

void screen_sale(struct kiosk *k)
{
    if (!sale_clock_ok(k))
        return;
    struct sale *s = calloc(1, sizeof *s);
    if (s == NULL) {
        k->exit_status = UVS_NOMEM;
        ui_fatal(k, tr(M_NOMEM));
    }
    sale_reset(k, s);
    for (;;) {
        if (s->step == S_TOKEN)
            draw_token(k, s);
        else
            draw_entry(k, s);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND)
            break;
        if (c == K_REDRAW)
            continue;
        if (s->step == S_TOKEN) {
            if (c == K_ENTER || c == K_ESC)
                sale_reset(k, s); /* the receipt is stored; a new sale */
            continue;
        }
        if (s->step == S_METER) {
            if (c == K_ESC)
                break;
            if (c == K_FN(KEY_F(3))) {
                card_start(k, s);
                continue;
            }
            if (c == K_ENTER) {
                if (s->lookup_again) /* the store failed (a full disk): look again */
                    meter_changed(k, s);
                if (s->hint == MH_FOUND && s->lookup_ok)
                    s->step = S_AMOUNT;
                else if (s->hint == MH_FOUND || s->hint == MH_ERROR)
                    ui_msg(k, MSG_ERR, s->lookup_err);
                else if (s->hint == MH_BAD_CHECK)
                    ui_msg(k, MSG_ERR, tr(M_SALE_HINT_BADCHECK));
                else if (s->hint == MH_UNKNOWN)
                    ui_msg(k, MSG_ERR, tr(M_SALE_HINT_UNKNOWN));
                else
                    ui_msg(k, MSG_ERR, tr(M_SALE_NEED_METER));
            } else if (ui_field_key(&s->meter, c)) {
                meter_changed(k, s);
            }
        } else if (s->step == S_AMOUNT) {
            if (c == K_ESC && s->card_mode) {
                sale_reset(k, s); /* the card sale is cancelled */
            } else if (c == K_ESC) {
                s->step = S_METER;
            } else if (c == K_ENTER) {
                if (!s->amount.buf[0]) {
                    ui_msg(k, MSG_ERR, tr(M_SALE_NEED_AMOUNT));
                    continue;
                }
                /* a refused quote leaves the meter's details on the screen */
                struct uv_quote q;
                uv_status st;
                if (s->card_mode) {
                    st = card_quote(k->ctx, &s->card, s->amount.buf);
                    q = s->card.q;
                } else {
                    st = vend_quote(k->ctx, s->meter.buf, s->amount.buf, &q);
                }
                ui_check_fatal(k, st);
                if (st == UVS_OK) {
                    s->q = q;
                    s->step = S_CONFIRM;
                } else {
                    ui_msg_err(k);
                }
            } else {
                ui_field_key(&s->amount, c);
            }
        } else if (s->step == S_CONFIRM) {
            if (c == K_ESC)
                s->step = S_AMOUNT;
            else if (c == K_ENTER || c == K_FN(KEY_F(10)))
                confirm(k, s);
        }
    }
    card_end(k, s);
    free(s);
}
