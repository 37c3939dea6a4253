/*
 * receipts.c — find receipts by meter, clerk and date; show one; reprint it.
 *
 * A reprint goes through receipt_reprint(), which counts it and writes the
 * audit record; the receipt text then carries "REPRINT" and goes to the
 * printer like the original.
 */
#include "kiosk.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "print.h"
#include "receipt.h"

#define FIND_CAP 500

enum { F_METER, F_CLERK, F_FROM, F_TO, N_FIELDS, FOCUS_LIST = N_FIELDS };

struct rscreen {
    struct ui_field f[N_FIELDS];
    int focus;
    struct rec_receipt res[FIND_CAP];
    size_t n;
    struct ui_list list;
};

/* "YYYY-MM-DD" (local time) -> the first or last second of that day; -1 if bad. */
static int64_t parse_day(const char *s, int end)
{
    int y, m, d;
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = end ? 23 : 0;
    tm.tm_min = end ? 59 : 0;
    tm.tm_sec = end ? 59 : 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)
        return -1;
    return (int64_t)t;
}

static void search(struct kiosk *k, struct rscreen *rs)
{
    struct receipt_filter f;
    memset(&f, 0, sizeof f);
    f.meter = rs->f[F_METER].buf[0] ? rs->f[F_METER].buf : NULL;
    f.clerk = rs->f[F_CLERK].buf[0] ? rs->f[F_CLERK].buf : NULL;
    if (rs->f[F_FROM].buf[0] && (f.from = parse_day(rs->f[F_FROM].buf, 0)) < 0) {
        ui_msg(k, MSG_ERR, tr(M_RCPT_BAD_DATE));
        rs->focus = F_FROM;
        return;
    }
    if (rs->f[F_TO].buf[0] && (f.to = parse_day(rs->f[F_TO].buf, 1)) < 0) {
        ui_msg(k, MSG_ERR, tr(M_RCPT_BAD_DATE));
        rs->focus = F_TO;
        return;
    }
    uv_status st = receipt_find(k->ctx, &f, rs->res, FIND_CAP, &rs->n);
    if (ui_show_failure(k, st))
        rs->n = 0;
    ui_list_clear(&rs->list);
    for (size_t i = 0; i < rs->n; i++) {
        const struct rec_receipt *r = &rs->res[i];
        char row[256], when[32], paid[64], kwh[48];
        ui_time(r->time, when, sizeof when);
        ui_money(k, r->gross, paid, sizeof paid);
        ui_energy(r->energy_wh, kwh, sizeof kwh);
        snprintf(row, sizeof row, "%7llu %-16s %-13s %-10s %15s %11s%s",
                 (unsigned long long)r->number, when, r->meter, r->clerk, paid, kwh,
                 r->reprints ? " R" : "");
        ui_list_add(&rs->list, row);
    }
    char n[32];
    snprintf(n, sizeof n, "%zu%s", rs->n, rs->n >= FIND_CAP ? "+" : "");
    char line[128];
    trf(line, sizeof line, M_RCPT_FOUND, n, NULL, NULL);
    if (!k->msg[0])
        ui_msg(k, MSG_INFO, line);
    rs->focus = FOCUS_LIST;
}

/* ---- one receipt -------------------------------------------------------------- */

static void render_receipt(struct kiosk *k, const void *arg, FILE *out)
{
    receipt_print(k->ctx, arg, out);
}

static void view_receipt(struct kiosk *k, struct rec_receipt *r)
{
    struct ui_text t;
    memset(&t, 0, sizeof t);
    size_t len;
    char *buf = ui_render(k, render_receipt, r, &len);
    ui_text_set(&t, buf, len);
    for (;;) {
        char title[96], num[32];
        snprintf(num, sizeof num, "%llu", (unsigned long long)r->number);
        trf(title, sizeof title, M_RCPT_VIEW_TITLE, num, NULL, NULL);
        ui_frame(k, title, tr(M_HELP_RCPT_VIEW));
        int h = ui_bottom() - ui_top() + 1;
        ui_text_draw(&t, ui_top(), 18, h, 44);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_ESC)
            break;
        if (c == K_REDRAW || ui_text_key(&t, c, h))
            continue;
        if (c == 'p' || c == 'P' || c == K_FN(KEY_F(5))) {
            trf(title, sizeof title, M_RCPT_REPRINT_ASK, num, NULL, NULL);
            if (!ui_confirm(k, title))
                continue;
            uv_status st = receipt_reprint(k->ctx, r->number, r);
            if (ui_show_failure(k, st))
                continue;
            buf = ui_render(k, render_receipt, r, &len);
            ui_text_set(&t, buf, len);
            t.top = ui_text_lines(&t) > (size_t)h ? ui_text_lines(&t) - (size_t)h : 0;
            char msg[700];
            if (!k->ctx->cfg.printer[0]) {
                ui_msg(k, MSG_OK, tr(M_RCPT_REPRINT_NOPRINTER));
            } else if ((st = print_receipt(k->ctx, r)) == UVS_OK) {
                ui_msg(k, MSG_OK, tr(M_RCPT_REPRINT_OK));
            } else {
                ui_check_fatal(k, st);
                trf(msg, sizeof msg, M_PRINT_FAILED, k->ctx->err.message, NULL, NULL);
                ui_msg(k, MSG_ERR, msg);
            }
        }
    }
    ui_text_free(&t);
}

/* ---- the search screen -------------------------------------------------------- */

static void draw(struct kiosk *k, struct rscreen *rs, int *list_y, int *list_h)
{
    ui_frame(k, tr(M_RCPT_TITLE),
             tr(rs->focus == FOCUS_LIST ? M_HELP_RCPT_LIST : M_HELP_RCPT_FORM));
    int y = ui_top();
    /* two fields a row: meter, clerk / from, to */
    for (int i = 0; i < N_FIELDS; i++) {
        int row = y + i / 2, col = i % 2 ? 40 : 2;
        int lw = ui_textwidth(rs->f[i].label) + 1;
        if (lw < 8)
            lw = 8;
        int cx = ui_field_draw(row, col, lw, &rs->f[i], rs->focus == i);
        if (rs->focus == i)
            ui_cursor(row, cx);
    }
    y += 3;
    static const struct { enum msg m; int x; int right; int w; } cols[] = {
        {M_RCPT_COL_NO, 1, 1, 7},      {M_RCPT_COL_TIME, 9, 0, 16},
        {M_RCPT_COL_METER, 26, 0, 13}, {M_RCPT_COL_CLERK, 40, 0, 10},
        {M_RCPT_COL_PAID, 51, 1, 15},  {M_RCPT_COL_ENERGY, 67, 1, 11},
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        const char *h = tr(cols[i].m);
        int w = ui_textwidth(h);
        int x = cols[i].right ? cols[i].x + cols[i].w - w : cols[i].x;
        ui_put(y, x, cols[i].w, A_BOLD | A_UNDERLINE, h);
    }
    y++;
    *list_y = y;
    *list_h = ui_bottom() - y + 1;
    if (rs->n == 0)
        ui_put(y, 2, 76, A_NORMAL, tr(M_RCPT_NONE));
    else
        ui_list_draw(&rs->list, y, *list_h, rs->focus == FOCUS_LIST);
}

void screen_receipts(struct kiosk *k)
{
    struct rscreen *rs = calloc(1, sizeof *rs);
    if (rs == NULL) {
        k->exit_status = UVS_NOMEM;
        ui_fatal(k, tr(M_NOMEM));
    }
    ui_field_init(&rs->f[F_METER], tr(M_RCPT_METER), 20, UF_DIGITS, NULL);
    ui_field_init(&rs->f[F_CLERK], tr(M_RCPT_CLERK), 31, UF_ASCII, NULL);
    ui_field_init(&rs->f[F_FROM], tr(M_RCPT_FROM), 10, UF_DATE, NULL);
    ui_field_init(&rs->f[F_TO], tr(M_RCPT_TO), 10, UF_DATE, NULL);
    rs->f[F_METER].width = rs->f[F_CLERK].width = 16;
    rs->f[F_FROM].width = rs->f[F_TO].width = 11;
    search(k, rs);
    for (;;) {
        int ly, lh;
        draw(k, rs, &ly, &lh);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND)
            break;
        if (c == K_REDRAW)
            continue;
        if (rs->focus == FOCUS_LIST) {
            if (c == K_ESC)
                break;
            if (c == K_TAB || c == '/' || c == K_FN(KEY_F(3))) {
                rs->focus = F_METER;
            } else if (c == K_ENTER && rs->n) {
                size_t sel = rs->list.sel;
                view_receipt(k, &rs->res[sel]);
                if (!k->unwind) { /* the reprint count changed: the list as stored now */
                    k->msg[0] = '\0';
                    search(k, rs);
                    rs->list.sel = sel;
                }
            } else if (c >= '0' && c <= '9') { /* typing a meter number starts a search */
                rs->focus = F_METER;
                ui_field_init(&rs->f[F_METER], tr(M_RCPT_METER), 20, UF_DIGITS, NULL);
                rs->f[F_METER].width = 16;
                ui_field_key(&rs->f[F_METER], c);
            } else {
                ui_list_key(&rs->list, c, lh);
            }
            continue;
        }
        /* the form */
        if (c == K_ESC) {
            rs->focus = FOCUS_LIST;
        } else if (c == K_ENTER || c == K_FN(KEY_F(10))) {
            search(k, rs);
        } else if (c == K_TAB || c == K_FN(KEY_DOWN)) {
            rs->focus = (rs->focus + 1) % (N_FIELDS + 1);
        } else if (c == K_FN(KEY_BTAB) || c == K_FN(KEY_UP)) {
            rs->focus = rs->focus ? rs->focus - 1 : FOCUS_LIST;
        } else {
            ui_field_key(&rs->f[rs->focus], c);
        }
    }
    ui_list_free(&rs->list);
    free(rs);
}
