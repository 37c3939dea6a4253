/*
 * reports.c — the clerk's shift report and the day (Z) report, printing
 * them, and closing the period (report_close records and audits it).
 */
#include "kiosk.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "print.h"
#include "report.h"

static void render_report(struct kiosk *k, const void *arg, FILE *out)
{
    report_print(k->ctx, arg, out);
}

static int load(struct kiosk *k, int day, struct uv_report *r, struct ui_text *t)
{
    memset(r, 0, sizeof *r);
    uv_status st = day ? report_day(k->ctx, r) : report_shift(k->ctx, k->clerk.id, r);
    if (ui_show_failure(k, st)) {
        ui_text_set(t, NULL, 0);
        return 0;
    }
    size_t len;
    char *buf = ui_render(k, render_report, r, &len);
    ui_text_set(t, buf, len);
    return 1;
}

static void report_screen(struct kiosk *k, int day)
{
    struct uv_report *r = calloc(1, sizeof *r);
    struct ui_text t;
    memset(&t, 0, sizeof t);
    if (r == NULL) {
        k->exit_status = UVS_NOMEM;
        ui_fatal(k, tr(M_NOMEM));
    }
    int ok = load(k, day, r, &t);
    for (;;) {
        ui_frame(k, tr(day ? M_REP_DAY_TITLE : M_REP_SHIFT_TITLE),
                 tr(day ? M_HELP_REP_DAY : M_HELP_REP_SHIFT));
        int y = ui_top();
        if (ok) {
            char line[512], n[32], gross[64], vat[64], kwh[64], a[32], b[32], c1[40], c2[40];
            snprintf(n, sizeof n, "%llu", (unsigned long long)r->total.count);
            ui_money(k, r->total.gross, gross, sizeof gross);
            ui_money(k, r->total.vat, vat, sizeof vat);
            ui_energy(r->total.energy_wh, kwh, sizeof kwh);
            trf(line, sizeof line, M_REP_SUMMARY, n, gross, vat);
            ui_put(y++, 2, 76, A_BOLD, line);
            if (r->total.count) {
                snprintf(a, sizeof a, "%llu", (unsigned long long)r->first_receipt);
                snprintf(b, sizeof b, "%llu", (unsigned long long)r->last_receipt);
                trf(line, sizeof line, M_REP_RANGE, a, b, kwh);
                ui_put(y++, 2, 76, A_NORMAL, line);
                ui_time(r->from, c1, sizeof c1);
                ui_time(r->to, c2, sizeof c2);
                trf(line, sizeof line, M_REP_PERIOD, c1, c2, NULL);
                ui_put(y++, 2, 76, A_NORMAL, line);
            } else {
                ui_put(y++, 2, 76, A_NORMAL, tr(M_REP_NO_SALES));
            }
            y++;
            int h = ui_bottom() - y + 1;
            ui_text_draw(&t, y, 18, h, 44);
        }
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_ESC)
            break;
        if (c == K_REDRAW)
            continue;
        int h = ui_bottom() - ui_top() - 3;
        if (ok && ui_text_key(&t, c, h))
            continue;
        if (!ok)
            continue;
        if (c == 'p' || c == 'P' || c == K_FN(KEY_F(5))) {
            if (!k->ctx->cfg.printer[0]) {
                ui_msg(k, MSG_ERR, tr(M_PRINT_NONE));
                continue;
            }
            uv_status st = print_report(k->ctx, r);
            ui_check_fatal(k, st);
            if (st == UVS_OK) {
                ui_msg(k, MSG_OK, tr(M_PRINT_OK));
            } else {
                char msg[700];
                trf(msg, sizeof msg, M_PRINT_FAILED, k->ctx->err.message, NULL, NULL);
                ui_msg(k, MSG_ERR, msg);
            }
        } else if (c == 'c' || c == 'C') {
            if (!ui_confirm(k, tr(day ? M_REP_CLOSE_DAY_ASK : M_REP_CLOSE_SHIFT_ASK)))
                continue;
            uint64_t closing = 0;
            uv_status st = report_close(k->ctx, r, &closing);
            if (ui_show_failure(k, st))
                continue;
            char num[32], msg[256];
            snprintf(num, sizeof num, "%llu", (unsigned long long)closing);
            trf(msg, sizeof msg, day ? M_REP_DAY_CLOSED : M_REP_SHIFT_CLOSED, num, NULL, NULL);
            ok = load(k, day, r, &t);
            ui_msg(k, MSG_OK, msg);
        }
    }
    ui_text_free(&t);
    free(r);
}

void screen_shift_report(struct kiosk *k)
{
    report_screen(k, 0);
}

void screen_day_report(struct kiosk *k)
{
    if (!kiosk_is_supervisor(k))
        return;
    report_screen(k, 1);
}
