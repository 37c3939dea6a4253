/*
 * supervisor.c — the supervisor's menu: customers, meters, tariffs, drivers,
 * clerks, engineering tokens, export. Every change is a core call (which
 * checks, stores and audits it); the screens only collect and show.
 */
#include "kiosk.h"

#include <stdlib.h>
#include <string.h>

#include "clerks.h"
#include "clock.h"
#include "credit.h"
#include "export.h"
#include "i18n.h"
#include "instruct.h"
#include "masterdata.h"
#include "mgmt.h"
#include "money.h"
#include "params.h"
#include "receipt.h"
#include "typeindex.h"

#define TABLE_CAP 1000

/* Copy a field into a record member; refuses (with a message) what does not fit. */
static int put_str(struct kiosk *k, char *dst, size_t cap, const struct ui_field *f)
{
    size_t n = strlen(f->buf);
    if (n >= cap) {
        char msg[256];
        trf(msg, sizeof msg, M_SUP_TOO_LONG, f->label, NULL, NULL);
        ui_msg(k, MSG_ERR, msg);
        return 0;
    }
    memcpy(dst, f->buf, n + 1);
    return 1;
}

/* A list screen: header, rows, keys. Returns the first key the list did not
   use (K_ESC / K_UNWIND included). */
static int table_key(struct kiosk *k, const char *title, const char *help, const char *header,
                     struct ui_list *l, const char *empty)
{
    for (;;) {
        ui_frame(k, title, help);
        int y = ui_top();
        ui_put(y++, 1, 78, A_BOLD | A_UNDERLINE, header);
        int h = ui_bottom() - y + 1;
        if (l->n == 0)
            ui_put(y, 2, 76, A_NORMAL, empty);
        else
            ui_list_draw(l, y, h, 1);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_REDRAW)
            continue;
        if (c != K_UNWIND && ui_list_key(l, c, h))
            continue;
        return c;
    }
}

/* Text a core call printed, shown on a page of its own. */
struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static FILE *capture_open(struct capture *c)
{
    memset(c, 0, sizeof *c);
    c->f = open_memstream(&c->buf, &c->len);
    return c->f ? c->f : stderr;
}

static void capture_show(struct kiosk *k, struct capture *c, const char *title, uv_status st)
{
    if (c->f)
        fclose(c->f);
    c->f = NULL;
    char *text = NULL;
    size_t need = (c->len) + sizeof k->ctx->err.message + 8;
    text = malloc(need);
    if (text) {
        snprintf(text, need, "%s%s%s", c->buf ? c->buf : "", st != UVS_OK ? "\n" : "",
                 st != UVS_OK ? k->ctx->err.message : "");
        ui_notice(k, title, text);
    }
    free(text);
    free(c->buf);
    c->buf = NULL;
}

/* ---- customers ---------------------------------------------------------------- */

struct cust_arg {
    int edit;
};

static int cust_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    struct cust_arg *a = arg;
    struct rec_customer c;
    (void)n;
    memset(&c, 0, sizeof c);
    if (!put_str(k, c.id, sizeof c.id, &f[0]) || !put_str(k, c.name, sizeof c.name, &f[1]) ||
        !put_str(k, c.address, sizeof c.address, &f[2]) ||
        !put_str(k, c.phone, sizeof c.phone, &f[3]))
        return 0;
    uv_status st = a->edit ? customer_update(k->ctx, &c) : customer_add(k->ctx, &c);
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(a->edit ? M_SUP_SAVED : M_SUP_ADDED));
    return 1;
}

static void customers(struct kiosk *k)
{
    struct rec_customer *cs = calloc(TABLE_CAP, sizeof *cs);
    struct ui_list l;
    memset(&l, 0, sizeof l);
    if (cs == NULL)
        return;
    for (;;) {
        size_t n = 0;
        uv_status st = customer_all(k->ctx, cs, TABLE_CAP, &n);
        ui_show_failure(k, st);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        size_t sel = l.sel;
        ui_list_clear(&l);
        for (size_t i = 0; i < n; i++) {
            char row[512] = "";
            ui_cell(row, sizeof row, cs[i].id, 12, 0);
            ui_cell(row, sizeof row, cs[i].name, 26, 0);
            ui_cell(row, sizeof row, cs[i].address, 22, 0);
            ui_cell(row, sizeof row, cs[i].phone, 14, 0);
            ui_list_add(&l, row);
        }
        l.sel = sel;
        char header[256] = "";
        ui_cell(header, sizeof header, tr(M_SUP_COL_ID), 12, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_NAME), 26, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_ADDRESS), 22, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_PHONE), 14, 0);
        int c = table_key(k, tr(M_SUP_CUSTOMERS), tr(M_HELP_SUP_EDIT), header, &l,
                          tr(M_SUP_EMPTY));
        if (c == K_UNWIND || c == K_ESC)
            break;
        int edit = c == K_ENTER && n > 0;
        if (!edit && c != 'a' && c != 'A')
            continue;
        const struct rec_customer *cur = edit ? &cs[l.sel] : NULL;
        struct ui_field f[4];
        ui_field_init(&f[0], tr(M_SUP_F_CUSTOMER_ID), 31, UF_ASCII | (edit ? UF_READONLY : 0),
                      cur ? cur->id : NULL);
        ui_field_init(&f[1], tr(M_SUP_F_NAME), 60, 0, cur ? cur->name : NULL);
        ui_field_init(&f[2], tr(M_SUP_F_ADDRESS), 80, 0, cur ? cur->address : NULL);
        ui_field_init(&f[3], tr(M_SUP_F_PHONE), 24, UF_ASCII, cur ? cur->phone : NULL);
        struct cust_arg a = {edit};
        ui_form(k, tr(edit ? M_SUP_CUSTOMER_EDIT : M_SUP_CUSTOMER_ADD), NULL, f, 4, cust_submit,
                &a);
    }
    ui_list_free(&l);
    free(cs);
}

/* ---- meters ------------------------------------------------------------------- */

struct meter_arg {
    int edit;
};

static int meter_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    struct meter_arg *a = arg;
    (void)n;
    uv_status st;
    if (a->edit) {
        st = meter_update(k->ctx, f[0].buf, f[2].buf[0] ? f[2].buf : NULL,
                          f[3].buf[0] ? f[3].buf : NULL);
    } else {
        struct rec_meter *m = calloc(1, sizeof *m);
        if (m == NULL)
            return 0;
        if (!put_str(k, m->number, sizeof m->number, &f[0]) ||
            !put_str(k, m->type_code, sizeof m->type_code, &f[1]) ||
            !put_str(k, m->customer, sizeof m->customer, &f[2]) ||
            !put_str(k, m->tariff, sizeof m->tariff, &f[3])) {
            free(m);
            return 0;
        }
        /* parameters: "name=value name=value ..." */
        st = UVS_OK;
        char params[sizeof f[4].buf];
        snprintf(params, sizeof params, "%s", f[4].buf);
        char *save = NULL;
        for (char *p = strtok_r(params, " ,;", &save); p && st == UVS_OK;
             p = strtok_r(NULL, " ,;", &save))
            st = params_add(m->params, sizeof m->params, p, &k->ctx->err);
        struct capture cap;
        FILE *out = capture_open(&cap);
        if (st == UVS_OK)
            st = meter_add(k->ctx, m, out);
        if (cap.f)
            fclose(cap.f);
        free(cap.buf);
        free(m);
    }
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(a->edit ? M_SUP_SAVED : M_SUP_ADDED));
    return 1;
}

static void meters(struct kiosk *k)
{
    struct rec_meter *ms = calloc(TABLE_CAP, sizeof *ms);
    struct ui_list l;
    memset(&l, 0, sizeof l);
    if (ms == NULL)
        return;
    for (;;) {
        size_t n = 0;
        uv_status st = meter_all(k->ctx, ms, TABLE_CAP, &n);
        ui_show_failure(k, st);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        size_t sel = l.sel;
        ui_list_clear(&l);
        for (size_t i = 0; i < n; i++) {
            char row[512] = "", sales[32];
            snprintf(sales, sizeof sales, "%llu", (unsigned long long)ms[i].sales_count);
            ui_cell(row, sizeof row, ms[i].number, 14, 0);
            ui_cell(row, sizeof row, ms[i].type_code, 15, 0);
            ui_cell(row, sizeof row, ms[i].customer, 14, 0);
            ui_cell(row, sizeof row, ms[i].tariff, 12, 0);
            ui_cell(row, sizeof row, sales, 8, 1);
            ui_list_add(&l, row);
        }
        l.sel = sel;
        char header[256] = "";
        ui_cell(header, sizeof header, tr(M_SUP_COL_METER), 14, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_TYPE), 15, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_CUSTOMER), 14, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_TARIFF), 12, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_SALES), 8, 1);
        int c =
            table_key(k, tr(M_SUP_METERS), tr(M_HELP_SUP_EDIT), header, &l, tr(M_SUP_EMPTY));
        if (c == K_UNWIND || c == K_ESC)
            break;
        int edit = c == K_ENTER && n > 0;
        if (!edit && c != 'a' && c != 'A')
            continue;
        const struct rec_meter *cur = edit ? &ms[l.sel] : NULL;
        struct ui_field f[5];
        ui_field_init(&f[0], tr(M_SUP_F_METER), 20, UF_DIGITS | (edit ? UF_READONLY : 0),
                      cur ? cur->number : NULL);
        ui_field_init(&f[1], tr(M_SUP_F_TYPE), 15, UF_ASCII | (edit ? UF_READONLY : 0),
                      cur ? cur->type_code : NULL);
        ui_field_init(&f[2], tr(M_SUP_F_CUSTOMER_ID), 31, UF_ASCII, cur ? cur->customer : NULL);
        ui_field_init(&f[3], tr(M_SUP_F_TARIFF_ID), 31, UF_ASCII, cur ? cur->tariff : NULL);
        char params[REC_PARAMS_MAX] = "";
        if (cur) { /* stored one a line; shown on one */
            snprintf(params, sizeof params, "%s", cur->params);
            for (char *p = params; *p; p++)
                if (*p == '\n')
                    *p = ' ';
        }
        ui_field_init(&f[4], tr(M_SUP_F_PARAMS), 200, UF_ASCII | (edit ? UF_READONLY : 0),
                      params);
        f[4].width = 44;
        struct meter_arg a = {edit};
        ui_form(k, tr(edit ? M_SUP_METER_EDIT : M_SUP_METER_ADD),
                edit ? NULL : tr(M_SUP_METER_INTRO), f, 5, meter_submit, &a);
    }
    ui_list_free(&l);
    free(ms);
}

/* ---- tariffs -------------------------------------------------------------------- */

static int tariff_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    (void)n;
    (void)arg;
    uv_status st = tariff_add(k->ctx, f[0].buf, f[1].buf, f[2].buf, f[3].buf);
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(M_SUP_ADDED));
    return 1;
}

static void tariffs(struct kiosk *k)
{
    struct rec_tariff *ts = calloc(TABLE_CAP, sizeof *ts);
    struct ui_list l;
    memset(&l, 0, sizeof l);
    if (ts == NULL)
        return;
    for (;;) {
        size_t n = 0;
        uv_status st = tariff_all(k->ctx, ts, TABLE_CAP, &n);
        ui_show_failure(k, st);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        ui_list_clear(&l);
        for (size_t i = 0; i < n; i++) {
            char row[512] = "", price[48], vat[32];
            price_format(ts[i].price_milli, k->ctx->cfg.currency_decimals, price, sizeof price);
            ui_percent(ts[i].vat_bp, vat, sizeof vat);
            ui_cell(row, sizeof row, ts[i].id, 12, 0);
            ui_cell(row, sizeof row, ts[i].name, 30, 0);
            ui_cell(row, sizeof row, price, 14, 1);
            ui_cell(row, sizeof row, vat, 10, 1);
            ui_list_add(&l, row);
        }
        char header[256] = "", pl[64];
        snprintf(pl, sizeof pl, "%s/kWh", k->ctx->cfg.currency);
        ui_cell(header, sizeof header, tr(M_SUP_COL_ID), 12, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_NAME), 30, 0);
        ui_cell(header, sizeof header, pl, 14, 1);
        ui_cell(header, sizeof header, tr(M_SALE_VAT), 10, 1);
        int c = table_key(k, tr(M_SUP_TARIFFS), tr(M_HELP_SUP_ADD), header, &l, tr(M_SUP_EMPTY));
        if (c == K_UNWIND || c == K_ESC)
            break;
        if (c != 'a' && c != 'A')
            continue;
        struct ui_field f[4];
        ui_field_init(&f[0], tr(M_SUP_F_TARIFF_ID), 31, UF_ASCII, NULL);
        ui_field_init(&f[1], tr(M_SUP_F_NAME), 60, 0, NULL);
        ui_field_init(&f[2], tr(M_SUP_F_PRICE), 16, UF_AMOUNT, NULL);
        ui_field_init(&f[3], tr(M_SUP_F_VAT), 6, UF_AMOUNT, NULL);
        ui_form(k, tr(M_SUP_TARIFF_ADD), tr(M_SUP_TARIFF_INTRO), f, 4, tariff_submit, NULL);
    }
    ui_list_free(&l);
    free(ts);
}

/* ---- drivers ------------------------------------------------------------------- */

static int driver_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    (void)n;
    (void)arg;
    struct capture cap;
    FILE *out = capture_open(&cap);
    uv_status st = typeindex_register(k->ctx, f[0].buf, f[1].buf[0] ? f[1].buf : NULL, out);
    ui_check_fatal(k, st);
    capture_show(k, &cap, tr(M_SUP_DRIVER_REGISTER), st);
    return st == UVS_OK;
}

static void drivers(struct kiosk *k)
{
    struct uv_driver_status *ds = calloc(TABLE_CAP, sizeof *ds);
    struct ui_list l;
    memset(&l, 0, sizeof l);
    if (ds == NULL)
        return;
    for (;;) {
        size_t n = 0;
        uv_status st = typeindex_status(k->ctx, ds, TABLE_CAP, &n);
        ui_show_failure(k, st);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        ui_list_clear(&l);
        for (size_t i = 0; i < n; i++) {
            char row[700] = "";
            ui_cell(row, sizeof row, ds[i].code, 15, 0);
            ui_cell(row, sizeof row, ds[i].driver, 10, 0);
            ui_cell(row, sizeof row, ds[i].version, 8, 0);
            ui_cell(row, sizeof row, ds[i].file, 16, 0);
            if (ds[i].ok) {
                ui_cell(row, sizeof row, tr(M_START_DRV_OK), 10, 0);
            } else {
                char why[400];
                snprintf(why, sizeof why, "%s: %s", tr(M_START_DRV_REFUSED), ds[i].reason);
                ui_cell(row, sizeof row, why, 200, 0);
            }
            ui_list_add(&l, row);
        }
        char header[256] = "";
        ui_cell(header, sizeof header, tr(M_SUP_COL_CODE), 15, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_DRIVER), 10, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_VERSION), 8, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_FILE), 16, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_STATUS), 10, 0);
        int c =
            table_key(k, tr(M_SUP_DRIVERS), tr(M_HELP_SUP_DRIVERS), header, &l, tr(M_SUP_EMPTY));
        if (c == K_UNWIND || c == K_ESC)
            break;
        if (c == 'r' || c == 'R') {
            struct ui_field f[2];
            ui_field_init(&f[0], tr(M_SUP_F_DRIVER_FILE), 120, UF_ASCII, NULL);
            ui_field_init(&f[1], tr(M_SUP_F_CODES), 120, UF_ASCII, NULL);
            ui_form(k, tr(M_SUP_DRIVER_REGISTER), tr(M_SUP_DRIVER_INTRO), f, 2, driver_submit,
                    NULL);
        } else if (c == 'v' || c == 'V') {
            struct capture cap;
            FILE *out = capture_open(&cap);
            st = typeindex_verify(k->ctx, NULL, out);
            ui_check_fatal(k, st);
            capture_show(k, &cap, tr(M_SUP_DRIVER_VERIFY), st);
        } else if ((c == K_ENTER) && n > 0 && !ds[l.sel].ok) {
            ui_notice(k, tr(M_SUP_DRIVERS), ds[l.sel].reason);
        }
    }
    ui_list_free(&l);
    free(ds);
}

/* ---- clerks -------------------------------------------------------------------- */

static int pins_ok(struct kiosk *k, const char *a, const char *b)
{
    if (!clerk_pin_valid(a)) {
        ui_msg(k, MSG_ERR, tr(M_SUP_PIN_FORMAT));
        return 0;
    }
    if (strcmp(a, b) != 0) {
        ui_msg(k, MSG_ERR, tr(M_SUP_PIN_MISMATCH));
        return 0;
    }
    return 1;
}

static int clerk_add_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    (void)n;
    (void)arg;
    uint32_t role = clerk_role_parse(f[2].buf);
    if (role == 0) {
        ui_msg(k, MSG_ERR, tr(M_SUP_ROLE_BAD));
        return 0;
    }
    if (!pins_ok(k, f[3].buf, f[4].buf))
        return 0;
    uv_status st = clerk_add(k->ctx, f[0].buf, f[1].buf, role, f[3].buf);
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(M_SUP_ADDED));
    return 1;
}

static int clerk_pin_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    (void)n;
    (void)arg;
    if (!pins_ok(k, f[1].buf, f[2].buf))
        return 0;
    uv_status st = clerk_set_pin(k->ctx, f[0].buf, f[1].buf);
    if (ui_show_failure(k, st))
        return 0;
    ui_msg(k, MSG_OK, tr(M_SUP_PIN_SET));
    return 1;
}

static void clerks(struct kiosk *k)
{
    struct rec_clerk *cl = calloc(TABLE_CAP, sizeof *cl);
    struct ui_list l;
    memset(&l, 0, sizeof l);
    if (cl == NULL)
        return;
    for (;;) {
        size_t n = 0;
        uv_status st = clerk_all(k->ctx, cl, TABLE_CAP, &n);
        ui_show_failure(k, st);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        size_t sel = l.sel;
        ui_list_clear(&l);
        int64_t now = clock_now(k->ctx);
        for (size_t i = 0; i < n; i++) {
            char row[512] = "", last[32];
            const char *state = cl[i].disabled                ? tr(M_SUP_CLERK_DISABLED)
                                : cl[i].locked_until > now ? tr(M_SUP_CLERK_LOCKED)
                                                             : tr(M_SUP_CLERK_ACTIVE);
            ui_time(cl[i].last_login, last, sizeof last);
            ui_cell(row, sizeof row, cl[i].id, 12, 0);
            ui_cell(row, sizeof row, cl[i].name, 24, 0);
            ui_cell(row, sizeof row,
                    tr(cl[i].role == UV_ROLE_SUPERVISOR ? M_ROLE_SUPERVISOR : M_ROLE_CLERK), 11,
                    0);
            ui_cell(row, sizeof row, state, 10, 0);
            ui_cell(row, sizeof row, last, 16, 0);
            ui_list_add(&l, row);
        }
        l.sel = sel;
        char header[256] = "";
        ui_cell(header, sizeof header, tr(M_SUP_COL_ID), 12, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_NAME), 24, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_ROLE), 11, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_STATUS), 10, 0);
        ui_cell(header, sizeof header, tr(M_SUP_COL_LASTLOGIN), 16, 0);
        int c = table_key(k, tr(M_SUP_CLERKS), tr(M_HELP_SUP_CLERKS), header, &l, tr(M_SUP_EMPTY));
        if (c == K_UNWIND || c == K_ESC)
            break;
        if (c == 'a' || c == 'A') {
            struct ui_field f[5];
            ui_field_init(&f[0], tr(M_SUP_F_CLERK_ID), 31, UF_ASCII, NULL);
            ui_field_init(&f[1], tr(M_SUP_F_NAME), 60, 0, NULL);
            ui_field_init(&f[2], tr(M_SUP_F_ROLE), 12, UF_ASCII, "clerk");
            ui_field_init(&f[3], tr(M_SUP_F_PIN), 12, UF_DIGITS | UF_MASK, NULL);
            ui_field_init(&f[4], tr(M_SUP_F_PIN2), 12, UF_DIGITS | UF_MASK, NULL);
            ui_form(k, tr(M_SUP_CLERK_ADD), tr(M_SUP_CLERK_INTRO), f, 5, clerk_add_submit, NULL);
            ui_wipe(f, sizeof f);
        } else if ((c == 'p' || c == 'P') && n > 0) {
            struct ui_field f[3];
            ui_field_init(&f[0], tr(M_SUP_F_CLERK_ID), 31, UF_READONLY, cl[l.sel].id);
            ui_field_init(&f[1], tr(M_SUP_F_PIN), 12, UF_DIGITS | UF_MASK, NULL);
            ui_field_init(&f[2], tr(M_SUP_F_PIN2), 12, UF_DIGITS | UF_MASK, NULL);
            ui_form(k, tr(M_SUP_CLERK_PIN), NULL, f, 3, clerk_pin_submit, NULL);
            ui_wipe(f, sizeof f);
        } else if ((c == 'd' || c == 'D') && n > 0) {
            const struct rec_clerk *who = &cl[l.sel];
            if (strcmp(who->id, k->clerk.id) == 0) {
                ui_msg(k, MSG_ERR, tr(M_SUP_CLERK_SELF));
                continue;
            }
            char q[256];
            trf(q, sizeof q, who->disabled ? M_SUP_CLERK_ENABLE_ASK : M_SUP_CLERK_DISABLE_ASK,
                who->id, NULL, NULL);
            if (!ui_confirm(k, q))
                continue;
            st = clerk_set_disabled(k->ctx, who->id, !who->disabled);
            ui_check_fatal(k, st);
            if (st != UVS_OK)
                ui_msg_err(k);
            else
                ui_msg(k, MSG_OK, tr(M_SUP_SAVED));
        }
    }
    ui_list_free(&l);
    free(cl);
}

/* ---- engineering tokens and export ---------------------------------------------- */

/* Large digits for the token screen (a 3x5 font, as on the sale screen):
   half blocks in 3 rows with UTF-8, '#' in 5 rows otherwise. */
static const char *const eng_font[10][5] = {
    {"###", "#.#", "#.#", "#.#", "###"}, {".#.", "##.", ".#.", ".#.", "###"},
    {"###", "..#", "###", "#..", "###"}, {"###", "..#", "###", "..#", "###"},
    {"#.#", "#.#", "###", "..#", "..#"}, {"###", "#..", "###", "..#", "###"},
    {"###", "#..", "###", "#.#", "###"}, {"###", "..#", "..#", "..#", "..#"},
    {"###", "#.#", "###", "#.#", "###"}, {"###", "#.#", "###", "..#", "###"},
};

static void eng_big_row(const struct kiosk *k, int y, int x, const char *d, size_t n, int r)
{
    int cx = x;
    for (size_t i = 0; i < n; i++) {
        char cell[16] = "";
        size_t o = 0;
        int dg = d[i] - '0';
        for (int col = 0; col < 3 && dg >= 0 && dg <= 9; col++) {
            const char *px;
            if (!k->utf8) {
                px = eng_font[dg][r][col] == '#' ? "#" : " ";
            } else {
                int top = eng_font[dg][2 * r][col] == '#';
                int bot = 2 * r + 1 < 5 && eng_font[dg][2 * r + 1][col] == '#';
                px = top && bot ? "\xe2\x96\x88" : top ? "\xe2\x96\x80" : bot ? "\xe2\x96\x84" : " ";
            }
            size_t len = strlen(px);
            memcpy(cell + o, px, len);
            o += len;
            cell[o] = '\0';
        }
        ui_put(y, cx, 3, A_BOLD, cell);
        cx += (i % 4 == 3) ? 6 : 4;
    }
}

/* The token in large digits: groups 1-3, then 4-5; returns rows used. */
static int eng_big_token(const struct kiosk *k, int y, const char *token)
{
    char d[32];
    size_t n = 0;
    for (const char *p = token; *p && n < sizeof d - 1; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    int rows = k->utf8 ? 3 : 5, used = 0;
    for (size_t start = 0; start < n; start += 12) {
        size_t len = n - start > 12 ? 12 : n - start;
        int w = (int)(len / 4) * 18 - 3 + (int)(len % 4) * 4;
        int x = (ui_width() - w) / 2;
        for (int r = 0; r < rows; r++)
            eng_big_row(k, y + used + r, x < 0 ? 0 : x, d + start, len, r);
        used += rows + 1;
    }
    return used;
}

struct eng_arg {
    struct rec_mgmt rec;
    int action;          /* 1..6 */
};

static const enum msg eng_op_label[7] = {M_SUP_ENG_OP1, M_SUP_ENG_OP1, M_SUP_ENG_OP2,
                                         M_SUP_ENG_OP3, M_SUP_ENG_OP4, M_SUP_ENG_OP5,
                                         M_SUP_ENG_OP6};

static int eng_number(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return 0;
    *out = v;
    return 1;
}

static int eng_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    struct eng_arg *a = arg;
    (void)n;
    const char *meter = f[0].buf, *value = f[2].buf, *reason = f[3].buf;
    int action = (strlen(f[1].buf) == 1 && f[1].buf[0] >= '1' && f[1].buf[0] <= '6')
                     ? f[1].buf[0] - '0'
                     : 0;
    if (action == 0) {
        ui_msg(k, MSG_ERR, tr(M_SUP_ENG_BAD_ACTION));
        return 0;
    }
    uint32_t op = 0;
    uint64_t num = 0;
    char params[REC_PARAMS_MAX] = "", krn[8];
    uv_status st = UVS_OK;
    switch (action) {
    case 1:
    case 4:
    case 5:
        if (!eng_number(value, &num)) {
            ui_msg(k, MSG_ERR, tr(M_SUP_ENG_NEED_VALUE));
            return 0;
        }
        op = action == 1 ? UV_MGMT_SET_POWER_LIMIT
             : action == 4 ? UV_MGMT_SET_TARIFF_RATE
                           : UV_MGMT_KEY_CHANGE;
        if (action == 5) {
            snprintf(params, sizeof params, "new_krn=%llu\n", (unsigned long long)num);
            num = 0;
        }
        break;
    case 2:
        op = UV_MGMT_CLEAR_CREDIT;
        if (value[0]) {
            char line[sizeof f[2].buf + 16];
            snprintf(line, sizeof line, "register=%s", value);
            st = params_add(params, sizeof params, line, &k->ctx->err);
        }
        break;
    case 3:
        op = UV_MGMT_CLEAR_TAMPER;
        break;
    default:
        op = UV_MGMT_KEY_CHANGE;
        st = mgmt_rollover_params(k->ctx, meter, params, sizeof params, krn, sizeof krn);
        break;
    }
    if (st == UVS_OK)
        st = vend_mgmt(k->ctx, meter, op, num, params, reason, &a->rec);
    if (ui_show_failure(k, st))
        return 0;
    a->action = action;
    return 1;
}

/* One page per token, in the order they are to be entered. */
static void eng_show_tokens(struct kiosk *k, const struct eng_arg *a)
{
    const struct rec_mgmt *r = &a->rec;
    for (uint32_t i = 0; i < r->n_tokens && i < REC_TOKENS;) {
        char buf[600], nn[16], tot[16], g[REC_TOKEN_MAX * 2], no[32];
        int last = i + 1 >= r->n_tokens;
        ui_frame(k, tr(M_SUP_ENG_TOKEN_TITLE), tr(last ? M_HELP_ENG_DONE : M_HELP_ENG_NEXT));
        int y = ui_top(), W = ui_width() - 4;
        trf(buf, sizeof buf, M_SUP_ENG_TOKEN_FOR, r->meter, tr(eng_op_label[a->action]), NULL);
        ui_put(y++, 2, W, A_BOLD, buf);
        snprintf(no, sizeof no, "%llu", (unsigned long long)r->number);
        trf(buf, sizeof buf, M_SUP_ENG_RECORD, no, r->reason, NULL);
        ui_put(y++, 2, W, A_NORMAL, buf);
        y++;
        snprintf(nn, sizeof nn, "%u", i + 1);
        snprintf(tot, sizeof tot, "%u", r->n_tokens);
        trf(buf, sizeof buf, M_SUP_ENG_TOKEN_N, nn, tot, NULL);
        token_group(r->tokens[i], g, sizeof g);
        ui_put(y++, 2, W, A_BOLD | A_REVERSE, buf);
        y += eng_big_token(k, y + 1, r->tokens[i]) + 1;
        snprintf(buf, sizeof buf, "%s  %s", tr(M_TOKEN_LABEL), g);
        if (y <= ui_bottom())
            ui_put(y++, 2, W, A_BOLD, buf);
        if (r->n_tokens > 1 && y + 1 <= ui_bottom())
            y += ui_wrap(y + 1, ui_x0() + 2, W, 2, A_NORMAL, tr(M_SUP_ENG_KEY_HINT)) + 1;
        if (a->action == 6 && y + 1 <= ui_bottom())
            ui_wrap(y + 1, ui_x0() + 2, W, 1, A_NORMAL, tr(M_SUP_ENG_ROLL_HINT));
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND)
            return;
        if (c == K_REDRAW)
            continue;
        if (c == K_ENTER || c == K_ESC || c == K_FN(KEY_F(10)))
            i++;
    }
}

static void engineering(struct kiosk *k)
{
    struct uv_driver_status *ds = calloc(TABLE_CAP, sizeof *ds);
    if (ds == NULL)
        return;
    size_t n = 0;
    uv_status st = typeindex_status(k->ctx, ds, TABLE_CAP, &n);
    ui_check_fatal(k, st);
    if (n > TABLE_CAP)
        n = TABLE_CAP;
    char offered[512] = "";
    for (size_t i = 0; i < n; i++) {
        if (!ds[i].ok)
            continue;
        struct uv_loaded *drv = NULL;
        struct rec_typeidx e;
        if (typeindex_match(k->ctx, ds[i].code, &drv, &e) != UVS_OK || drv == NULL)
            continue;
        if (drv->info.has_mgmt && strlen(offered) + strlen(ds[i].code) + 3 < sizeof offered) {
            if (offered[0])
                strcat(offered, ", ");
            strcat(offered, ds[i].code);
        }
    }
    free(ds);
    if (!offered[0]) {
        ui_notice(k, tr(M_SUP_ENGINEERING), tr(M_SUP_ENG_NONE));
        return;
    }
    char intro[1024];
    trf(intro, sizeof intro, M_SUP_ENG_INTRO, offered, NULL, NULL);
    struct eng_arg *a = calloc(1, sizeof *a);
    if (a == NULL)
        return;
    struct ui_field f[4];
    ui_field_init(&f[0], tr(M_SUP_F_METER), 20, UF_DIGITS, NULL);
    ui_field_init(&f[1], tr(M_SUP_ENG_F_ACTION), 1, UF_DIGITS, NULL);
    ui_field_init(&f[2], tr(M_SUP_ENG_F_VALUE), 20, UF_ASCII, NULL);
    ui_field_init(&f[3], tr(M_SUP_ENG_F_REASON), 120, 0, NULL);
    f[3].width = 44;
    if (ui_form(k, tr(M_SUP_ENGINEERING), intro, f, 4, eng_submit, a))
        eng_show_tokens(k, a);
    explicit_bzero(a, sizeof *a);
    free(a);
}

static void export_data(struct kiosk *k)
{
    struct rec_export e;
    char text[1024], range[64];
    if (k->ctx->cfg.export_dir[0] == '\0') {
        ui_notice(k, tr(M_SUP_EXPORT), tr(M_SUP_EXPORT_NODIR));
        return;
    }
    uv_status st = export_run(k->ctx, NULL, &e);
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_notice(k, tr(M_SUP_EXPORT), k->ctx->err.message);
        return;
    }
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)e.receipt_first,
             (unsigned long long)e.receipt_last);
    trf(text, sizeof text, M_SUP_EXPORT_DONE, e.name, k->ctx->cfg.export_dir, range);
    ui_notice(k, tr(M_SUP_EXPORT), text);
}

/* Apply head office's instruction files found in import_dir: each is
   verified and applied whole, or refused with the reason (all audited). */
static void instructions(struct kiosk *k)
{
    struct capture cap;
    struct instruct_stats s;
    if (k->ctx->cfg.import_dir[0] == '\0') {
        ui_notice(k, tr(M_SUP_INSTRUCT), tr(M_SUP_INSTRUCT_NODIR));
        return;
    }
    FILE *out = capture_open(&cap);
    uv_status st = instruct_apply_import_dir(k->ctx, out, &s);
    ui_check_fatal(k, st);
    if (st == UVS_OK && s.applied + s.already + s.refused == 0) {
        char text[512];
        trf(text, sizeof text, M_SUP_INSTRUCT_NONE, k->ctx->cfg.import_dir, NULL, NULL);
        fprintf(out, "%s\n", text);
    } else if (s.files) {
        fprintf(out, "\n%u applied, %u already applied, %u for other kiosks, %u refused\n",
                s.applied, s.already, s.skipped, s.refused);
    }
    capture_show(k, &cap, tr(M_SUP_INSTRUCT), st);
}

/* ---- the clock ----------------------------------------------------------------- */

static int clock_set_submit(struct kiosk *k, struct ui_field *f, size_t n, void *arg)
{
    int64_t t;
    (void)n;
    (void)arg;
    if (clock_parse(f[0].buf, &t) != 0) {
        ui_msg(k, MSG_ERR, tr(M_SUP_CLOCK_BAD_TIME));
        return 0;
    }
    if (ui_show_failure(k, clock_set(k->ctx, t)))
        return 0;
    ui_msg(k, MSG_OK, tr(M_SUP_CLOCK_SET_DONE));
    return 1;
}

/* What `univend clock show` prints; S sets the time, C confirms it. */
static void clock_screen(struct kiosk *k)
{
    for (;;) {
        struct capture cap;
        FILE *out = capture_open(&cap);
        uv_status st = clock_show(k->ctx, out);
        if (cap.f)
            fclose(cap.f);
        ui_check_fatal(k, st);
        ui_frame(k, tr(M_SUP_CLOCK), tr(M_HELP_SUP_CLOCK));
        ui_wrap(ui_top(), ui_x0() + 2, ui_width() - 4, ui_bottom() - ui_top(), A_NORMAL,
                st == UVS_OK && cap.buf ? cap.buf : k->ctx->err.message);
        free(cap.buf);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_ESC)
            return;
        if (c == 's' || c == 'S') {
            struct ui_field f[1];
            char now[40];
            time_t t = (time_t)clock_now(k->ctx);
            struct tm tm;
            strftime(now, sizeof now, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
            ui_field_init(&f[0], tr(M_SUP_F_TIME), 19, UF_ASCII, now);
            ui_form(k, tr(M_SUP_CLOCK), tr(M_SUP_CLOCK_SET_INTRO), f, 1, clock_set_submit, NULL);
        } else if (c == 'c' || c == 'C') {
            st = clock_confirm(k->ctx);
            if (!ui_show_failure(k, st))
                ui_msg(k, MSG_OK, tr(M_SUP_CLOCK_CONFIRMED));
        }
    }
}

/* ---- the menu ----------------------------------------------------------------- */

/* The vending credit on the menu's last row. */
static void credit_line(struct kiosk *k)
{
    struct credit_status cs;
    char line[400], text[480];
    uv_status st = credit_status(k->ctx, &cs);
    ui_check_fatal(k, st);
    if (st != UVS_OK)
        return;
    int warn = credit_warning(k->ctx, &cs, line, sizeof line);
    if (!warn)
        credit_summary(k->ctx, &cs, line, sizeof line);
    snprintf(text, sizeof text, "%s: %s", tr(M_CREDIT_LABEL), line);
    attr_t a = !warn ? A_BOLD : has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
    ui_put(ui_bottom(), 2, ui_width() - 4, a, text);
}

void screen_supervisor(struct kiosk *k)
{
    static const struct {
        char key;
        enum msg label;
        void (*run)(struct kiosk *k);
    } items[] = {
        {'1', M_SUP_CUSTOMERS, customers}, {'2', M_SUP_METERS, meters},
        {'3', M_SUP_TARIFFS, tariffs},     {'4', M_SUP_DRIVERS, drivers},
        {'5', M_SUP_CLERKS, clerks},       {'6', M_SUP_ENGINEERING, engineering},
        {'7', M_SUP_EXPORT, export_data}, {'8', M_SUP_INSTRUCT, instructions},
        {'9', M_SUP_CLOCK, clock_screen},
    };
    const size_t n = sizeof items / sizeof items[0];
    size_t sel = 0;
    if (!kiosk_is_supervisor(k))
        return;
    for (;;) {
        ui_frame(k, tr(M_SUP_TITLE), tr(M_HELP_SUBMENU));
        int y = ui_top() + 1;
        for (size_t i = 0; i < n; i++) {
            char row[160];
            snprintf(row, sizeof row, " %c  %s ", items[i].key, tr(items[i].label));
            ui_put(y + 2 * (int)i, 6, 60, i == sel ? A_REVERSE : A_NORMAL, row);
        }
        credit_line(k);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_ESC)
            return;
        if (c == K_REDRAW)
            continue;
        int chosen = -1;
        if (c == K_FN(KEY_UP)) {
            sel = sel ? sel - 1 : n - 1;
        } else if (c == K_FN(KEY_DOWN) || c == K_TAB) {
            sel = (sel + 1) % n;
        } else if (c == K_ENTER) {
            chosen = (int)sel;
        } else {
            for (size_t i = 0; i < n; i++)
                if (c == items[i].key)
                    chosen = (int)(sel = i);
        }
        if (chosen >= 0)
            items[chosen].run(k);
    }
}
