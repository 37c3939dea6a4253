/*
 * supervisor.c — the supervisor's menu: customers, meters, tariffs, drivers,
 * clerks, engineering tokens, export. Every change is a core call (which
 * checks, stores and audits it); the screens only collect and show.
 */
#include "kiosk.h"

#include <stdlib.h>
#include <string.h>

#include "clerks.h"
#include "export.h"
#include "i18n.h"
#include "masterdata.h"
#include "money.h"
#include "params.h"
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
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_msg_err(k);
        return 0;
    }
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
        ui_check_fatal(k, st);
        if (st != UVS_OK)
            ui_msg_err(k);
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
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_msg_err(k);
        return 0;
    }
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
        ui_check_fatal(k, st);
        if (st != UVS_OK)
            ui_msg_err(k);
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
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_msg_err(k);
        return 0;
    }
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
        ui_check_fatal(k, st);
        if (st != UVS_OK)
            ui_msg_err(k);
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
        ui_check_fatal(k, st);
        if (st != UVS_OK)
            ui_msg_err(k);
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
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_msg_err(k);
        return 0;
    }
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
    ui_check_fatal(k, st);
    if (st != UVS_OK) {
        ui_msg_err(k);
        return 0;
    }
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
        ui_check_fatal(k, st);
        if (st != UVS_OK)
            ui_msg_err(k);
        if (n > TABLE_CAP)
            n = TABLE_CAP;
        size_t sel = l.sel;
        ui_list_clear(&l);
        int64_t now = (int64_t)time(NULL);
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
    char text[1024];
    if (!offered[0])
        snprintf(text, sizeof text, "%s", tr(M_SUP_ENG_NONE));
    else
        trf(text, sizeof text, M_SUP_ENG_SOME, offered, NULL, NULL);
    ui_notice(k, tr(M_SUP_ENGINEERING), text);
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

/* ---- the menu ----------------------------------------------------------------- */

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
        {'7', M_SUP_EXPORT, export_data},
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
