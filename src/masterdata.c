/* masterdata.c — customers, tariffs, meters. */
#include "masterdata.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "clerks.h"
#include "money.h"
#include "services.h"
#include "tariff.h"
#include "tariffver.h"
#include "typeindex.h"
#include "drvproxy.h"
#include "vend.h"

int md_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= REC_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int text_ok(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Insert a new record with an audit line, in one transaction. */
static uv_status insert(struct uv_ctx *ctx, enum uv_dbid db, const char *key,
                        const struct rec_layout *l, const void *rec, const char *what,
                        const char *detail)
{
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_put_rec(&ctx->store, txn, db, key, strlen(key), l, rec, 1, &ctx->err);
    if (st == UVS_EXISTS)
        st = uv_fail(&ctx->err, UVS_EXISTS, "%s %s already exists", what, key);
    if (st == UVS_OK) {
        char action[32];
        snprintf(action, sizeof action, "%s.add", what);
        st = audit_append(ctx, txn, action, key, "%s", detail);
    }
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status customer_add(struct uv_ctx *ctx, const struct rec_customer *c0)
{
    if (clerk_require_supervisor(ctx, "add customers") != UVS_OK)
        return ctx->err.status;
    struct rec_customer c = *c0;
    if (!md_id_valid(c.id))
        return uv_fail(&ctx->err, UVS_INPUT, "customer id '%s' is invalid (1-31 of A-Z a-z 0-9 . _ -)", c.id);
    if (!text_ok(c.name) || !text_ok(c.address) || !text_ok(c.phone) || c.name[0] == '\0')
        return uv_fail(&ctx->err, UVS_INPUT, "customer needs a printable name");
    c.created_at = clock_now(ctx);
    return insert(ctx, UV_DB_CUSTOMERS, c.id, &rec_customer_layout, &c, "customer", c.name);
}

uv_status customer_get(struct uv_ctx *ctx, DB_TXN *txn, const char *id, struct rec_customer *c)
{
    uv_status st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, id, strlen(id),
                                 &rec_customer_layout, c, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no customer %s", id);
    return st;
}

static int customer_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_customer c;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_customer_layout, v, vl, &c) == 0)
        fprintf(arg, "%-16s %-30s %-30s %-14s %lld\n", c.id, c.name, c.address, c.phone,
                (long long)c.debt);
    return 0;
}

uv_status customer_list(struct uv_ctx *ctx, FILE *out)
{
    fprintf(out, "%-16s %-30s %-30s %-14s %s\n", "CUSTOMER", "NAME", "ADDRESS", "PHONE",
            "DEBT (minor)");
    return store_iterate(&ctx->store, NULL, UV_DB_CUSTOMERS, NULL, 0, 0, customer_line, out,
                         &ctx->err);
}

uv_status tariff_add(struct uv_ctx *ctx, const char *id, const char *name, const char *price,
                     const char *vat)
{
    if (clerk_require_supervisor(ctx, "add tariffs") != UVS_OK)
        return ctx->err.status;
    struct rec_tariff t;
    memset(&t, 0, sizeof t);
    if (!md_id_valid(id))
        return uv_fail(&ctx->err, UVS_INPUT, "tariff id '%s' is invalid (1-31 of A-Z a-z 0-9 . _ -)", id);
    if (!text_ok(name) || strlen(name ? name : "") >= sizeof t.name)
        return uv_fail(&ctx->err, UVS_INPUT, "tariff name is not printable or too long");
    uv_status st = price_parse(price, ctx->cfg.currency_decimals, &t.price_milli, &ctx->err);
    if (st == UVS_OK)
        st = percent_parse(vat ? vat : "0", &t.vat_bp, &ctx->err);
    if (st != UVS_OK)
        return st;
    snprintf(t.id, sizeof t.id, "%s", id);
    snprintf(t.name, sizeof t.name, "%s", name ? name : id);
    t.created_at = clock_now(ctx);
    char detail[96];
    snprintf(detail, sizeof detail, "flat %s/kWh VAT %s%%", price, vat ? vat : "0");
    return insert(ctx, UV_DB_TARIFFS, t.id, &rec_tariff_layout, &t, "tariff", detail);
}

static uv_status replace(struct uv_ctx *ctx, enum uv_dbid db, const char *key,
                         const struct rec_layout *l, const void *rec, const char *action,
                         const char *detail);

uv_status tariff_add_full(struct uv_ctx *ctx, const struct rec_tariff *t0)
{
    if (clerk_require_supervisor(ctx, "add tariffs") != UVS_OK)
        return ctx->err.status;
    struct rec_tariff t = *t0;
    struct tariff_def d;
    if (!md_id_valid(t.id))
        return uv_fail(&ctx->err, UVS_INPUT, "tariff id '%s' is invalid", t.id);
    if (!text_ok(t.name))
        return uv_fail(&ctx->err, UVS_INPUT, "tariff name is not printable");
    for (unsigned i = 0; i < 3; i++)
        if (!text_ok(t.levy_name[i]))
            return uv_fail(&ctx->err, UVS_INPUT, "levy names must be printable");
    if (t.n_blocks)
        t.price_milli = t.block_price_milli[0];
    tariff_from_record(&t, &d);
    uv_status st = tariff_check(&d, &ctx->err);
    if (st != UVS_OK)
        return st;
    if (t.name[0] == '\0')
        snprintf(t.name, sizeof t.name, "%s", t.id);
    t.created_at = clock_now(ctx);
    char detail[160];
    snprintf(detail, sizeof detail, "%u block(s), VAT %u bp, %u levies, fixed %lld, lifeline %llu Wh",
             d.n_blocks, t.vat_bp, t.n_levies, (long long)t.fixed_monthly,
             (unsigned long long)t.lifeline_wh);
    return insert(ctx, UV_DB_TARIFFS, t.id, &rec_tariff_layout, &t, "tariff", detail);
}

uv_status customer_set_debt(struct uv_ctx *ctx, const char *id, int64_t debt, uint32_t recover_bp,
                            int64_t recover_fixed)
{
    struct rec_customer c;
    if (clerk_require_supervisor(ctx, "set customer debts") != UVS_OK)
        return ctx->err.status;
    if (debt < 0 || recover_bp > 10000 || recover_fixed < 0 || (recover_bp && recover_fixed))
        return uv_fail(&ctx->err, UVS_INPUT,
                       "a debt is >= 0, recovered by a share (0-100 %%) or a fixed amount, not both");
    if (debt > 0 && recover_bp == 0 && recover_fixed == 0)
        return uv_fail(&ctx->err, UVS_INPUT, "say how the debt is recovered (a share or a fixed amount)");
    uv_status st = customer_get(ctx, NULL, id, &c);
    if (st != UVS_OK)
        return st;
    c.debt = debt;
    c.debt_recover_bp = recover_bp;
    c.debt_recover_fixed = recover_fixed;
    char detail[96];
    snprintf(detail, sizeof detail, "debt %lld, recover %u bp or %lld per purchase", (long long)debt,
             recover_bp, (long long)recover_fixed);
    return replace(ctx, UV_DB_CUSTOMERS, c.id, &rec_customer_layout, &c, "customer.debt", detail);
}

uv_status tariff_get(struct uv_ctx *ctx, DB_TXN *txn, const char *id, struct rec_tariff *t)
{
    /* a dated version from head office, when one is in force */
    uv_status st = tariff_version_at(ctx, txn, id, clock_now(ctx), t, NULL);
    if (st != UVS_NOTFOUND)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_TARIFFS, id, strlen(id),
                                 &rec_tariff_layout, t, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no tariff %s", id);
    return st;
}

static int tariff_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    void **a = arg;
    struct uv_ctx *ctx = a[0];
    struct rec_tariff t;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_tariff_layout, v, vl, &t) == 0) {
        char p[40];
        price_format(t.price_milli, ctx->cfg.currency_decimals, p, sizeof p);
        fprintf(a[1], "%-16s %-24s %12s %s/kWh  VAT %u.%02u%%\n", t.id, t.name, p,
                ctx->cfg.currency, t.vat_bp / 100, t.vat_bp % 100);
    }
    return 0;
}

uv_status tariff_list(struct uv_ctx *ctx, FILE *out)
{
    void *a[2] = {ctx, out};
    fprintf(out, "%-16s %-24s %12s\n", "TARIFF", "NAME", "PRICE");
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_TARIFFS, NULL, 0, 0, tariff_line, a,
                                 &ctx->err);
    if (st == UVS_OK)
        st = tariff_versions_print(ctx, out);
    return st;
}

uv_status meter_view(struct uv_ctx *ctx, const struct rec_meter *m, struct uv_param_set *ps,
                     struct uv_meter *view)
{
    if (params_parse(m->params, ps) != 0)
        return uv_fail(&ctx->err, UVS_STORE, "the parameters of meter %s are damaged", m->number);
    memset(view, 0, sizeof *view);
    view->struct_size = sizeof *view;
    view->number = m->number;
    view->type_code = m->type_code;
    view->params = ps->p;
    view->n_params = ps->n;
    view->state = m->state;
    view->state_len = m->state_len;
    return UVS_OK;
}

uv_status driver_fail(struct uv_ctx *ctx, struct uv_loaded *d, int rc, uv_status st,
                      const char *doing)
{
    if (rc == DRVPROXY_E_STOPPED) /* no answer: the host process was stopped */
        return uv_fail(&ctx->err, st, "%s; %s", drvproxy_strerror(d, rc), doing);
    char detail[UV_TEXT_MAX + 1];
    snprintf(detail, sizeof detail, "%s", d->dctx ? d->desc->last_error(d->dctx) : "");
    const char *msg = drvproxy_strerror(d, rc);
    return uv_fail(&ctx->err, st, "%s: %s: %s%s%s%s", d->info.name, doing, msg ? msg : "error",
                   *detail ? " (" : "", detail, *detail ? ")" : "");
}

uv_status meter_add(struct uv_ctx *ctx, struct rec_meter *m, FILE *out)
{
    if (clerk_require_supervisor(ctx, "add meters") != UVS_OK)
        return ctx->err.status;
    struct rec_customer c;
    struct rec_tariff t;
    struct rec_typeidx e;
    struct uv_loaded *d;
    struct uv_param_set ps;
    struct uv_meter view;
    struct uv_medium_info info;
    if (!md_id_valid(m->number))
        return uv_fail(&ctx->err, UVS_INPUT, "meter number '%s' is invalid", m->number);
    uv_status st = customer_get(ctx, NULL, m->customer, &c);
    if (st == UVS_OK)
        st = services_unlock_keys(ctx);
    if (st == UVS_OK)
        st = tariff_get(ctx, NULL, m->tariff, &t);
    if (st == UVS_OK)
        st = typeindex_match(ctx, m->type_code, &d, &e);
    if (st == UVS_OK)
        st = meter_view(ctx, m, &ps, &view);
    if (st != UVS_OK)
        return st;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int rc = d->desc->verify(d->dctx, &view, &info);
    if (rc != UV_OK)
        return driver_fail(ctx, d, rc, UVS_REFUSED, "meter refused");
    m->created_at = clock_now(ctx);
    m->state_len = 0;
    char detail[128];
    snprintf(detail, sizeof detail, "type %s customer %s tariff %s", m->type_code, m->customer,
             m->tariff);
    st = insert(ctx, UV_DB_METERS, m->number, &rec_meter_layout, m, "meter", detail);
    if (st == UVS_OK && out)
        fprintf(out, "meter %s added (%s, driver %s): %s\n", m->number, m->type_code,
                d->info.name, info.summary);
    return st;
}

uv_status meter_get(struct uv_ctx *ctx, DB_TXN *txn, const char *number, struct rec_meter *m,
                    int rmw)
{
    if (!md_id_valid(number))
        return uv_fail(&ctx->err, UVS_INPUT, "meter number '%s' is invalid", number);
    uv_status st = store_get_rec(&ctx->store, txn, UV_DB_METERS, number, strlen(number),
                                 &rec_meter_layout, m, rmw, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no meter %s in this kiosk", number);
    return st;
}

static int meter_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_meter m;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_meter_layout, v, vl, &m) == 0)
        fprintf(arg, "%-20s %-10s %-14s %-10s %6llu\n", m.number, m.type_code, m.customer,
                m.tariff, (unsigned long long)m.sales_count);
    return 0;
}

uv_status meter_list(struct uv_ctx *ctx, FILE *out)
{
    fprintf(out, "%-20s %-10s %-14s %-10s %6s\n", "METER", "TYPE", "CUSTOMER", "TARIFF", "SALES");
    return store_iterate(&ctx->store, NULL, UV_DB_METERS, NULL, 0, 0, meter_line, out, &ctx->err);
}

uv_status meter_show(struct uv_ctx *ctx, const char *number, FILE *out)
{
    struct rec_meter m;
    uv_status st = meter_get(ctx, NULL, number, &m, 0);
    if (st != UVS_OK)
        return st;
    fprintf(out, "meter:       %s\ntype code:   %s\ncustomer:    %s\ntariff:      %s\n"
                 "sales:       %llu\nlast receipt: %llu\nparameters:\n",
            m.number, m.type_code, m.customer, m.tariff, (unsigned long long)m.sales_count,
            (unsigned long long)m.last_receipt);
    struct uv_param_set ps;
    if (params_parse(m.params, &ps) == 0)
        for (size_t i = 0; i < ps.n; i++)
            fprintf(out, "  %s = %s\n", ps.p[i].name, ps.p[i].value);
    if (m.report_at) { /* what the meter last said on its card */
        char when[32], rem[32];
        time_t t = (time_t)m.report_at;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
        if (m.report_kind == UV_CREDIT_ELECTRICITY)
            energy_format(m.report_remaining, rem, sizeof rem);
        else
            snprintf(rem, sizeof rem, "%llu", (unsigned long long)m.report_remaining);
        fprintf(out, "meter report: %s%s remaining, tamper %s0x%X (card read %s)\n", rem,
                m.report_kind == UV_CREDIT_ELECTRICITY ? " kWh" : "",
                m.report_tamper ? "REPORTED " : "none ", m.report_tamper, when);
    }
    return UVS_OK;
}

int md_luhn_ok(const char *d)
{
    size_t n = d ? strlen(d) : 0;
    unsigned sum = 0;
    if (n < 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = d[n - 1 - i];
        if (c < '0' || c > '9')
            return 0;
        unsigned v = (unsigned)(c - '0');
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

enum meter_hint meter_hint(struct uv_ctx *ctx, const char *text, struct rec_meter *m)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0)
        return MH_EMPTY;
    int digits = 1;
    for (size_t i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            digits = 0;
    if (!md_id_valid(text))
        return MH_TYPING;
    struct uv_error saved = ctx->err;
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_METERS, text, n, &rec_meter_layout, m,
                                 0, &ctx->err);
    if (st == UVS_OK)
        return MH_FOUND;
    if (st != UVS_NOTFOUND)
        return MH_ERROR; /* not a hint: the store failed (a full disk) */
    ctx->err = saved; /* a hint is not an error */
    if (digits && (n == 11 || n == 13))
        return md_luhn_ok(text) ? MH_UNKNOWN : MH_BAD_CHECK;
    return digits && n < 13 ? MH_TYPING : MH_UNKNOWN;
}

/* Replace an existing record, with an audit line, in one transaction. */
static uv_status replace(struct uv_ctx *ctx, enum uv_dbid db, const char *key,
                         const struct rec_layout *l, const void *rec, const char *action,
                         const char *detail)
{
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_put_rec(&ctx->store, txn, db, key, strlen(key), l, rec, 0, &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, action, key, "%s", detail);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status customer_update(struct uv_ctx *ctx, const struct rec_customer *c)
{
    if (clerk_require_supervisor(ctx, "change customers") != UVS_OK)
        return ctx->err.status;
    struct rec_customer old;
    uv_status st = customer_get(ctx, NULL, c->id, &old);
    if (st != UVS_OK)
        return st;
    if (!text_ok(c->name) || !text_ok(c->address) || !text_ok(c->phone) || c->name[0] == '\0')
        return uv_fail(&ctx->err, UVS_INPUT, "customer needs a printable name");
    struct rec_customer n = *c;
    n.created_at = old.created_at;
    return replace(ctx, UV_DB_CUSTOMERS, n.id, &rec_customer_layout, &n, "customer.update", n.name);
}

uv_status meter_update(struct uv_ctx *ctx, const char *number, const char *customer,
                       const char *tariff)
{
    if (clerk_require_supervisor(ctx, "change meters") != UVS_OK)
        return ctx->err.status;
    struct rec_meter m;
    struct rec_customer c;
    struct rec_tariff t;
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    /* read-modify-write under the meter's lock: a sale cannot slip between */
    st = meter_get(ctx, txn, number, &m, 1);
    if (st == UVS_OK && customer && *customer && (st = customer_get(ctx, txn, customer, &c)) == UVS_OK)
        snprintf(m.customer, sizeof m.customer, "%s", customer);
    if (st == UVS_OK && tariff && *tariff && (st = tariff_get(ctx, txn, tariff, &t)) == UVS_OK)
        snprintf(m.tariff, sizeof m.tariff, "%s", tariff);
    if (st == UVS_OK)
        st = store_put_rec(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number),
                           &rec_meter_layout, &m, 0, &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "meter.update", m.number, "customer %s tariff %s", m.customer,
                          m.tariff);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

struct all_arg {
    const struct rec_layout *l;
    void *out;
    size_t cap, n;
};

static int all_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct all_arg *a = arg;
    (void)k;
    (void)kl;
    if (a->n >= a->cap)
        return STORE_STOP;
    if (rec_decode(a->l, v, vl, (char *)a->out + a->n * a->l->struct_size) == 0)
        a->n++;
    return 0;
}

static uv_status all(struct uv_ctx *ctx, enum uv_dbid db, const struct rec_layout *l, void *out,
                     size_t cap, size_t *n)
{
    struct all_arg a = {l, out, cap, 0};
    uv_status st = store_iterate(&ctx->store, NULL, db, NULL, 0, 0, all_one, &a, &ctx->err);
    *n = a.n;
    return st;
}

uv_status customer_all(struct uv_ctx *ctx, struct rec_customer *out, size_t cap, size_t *n)
{
    return all(ctx, UV_DB_CUSTOMERS, &rec_customer_layout, out, cap, n);
}

uv_status tariff_all(struct uv_ctx *ctx, struct rec_tariff *out, size_t cap, size_t *n)
{
    return all(ctx, UV_DB_TARIFFS, &rec_tariff_layout, out, cap, n);
}

uv_status meter_all(struct uv_ctx *ctx, struct rec_meter *out, size_t cap, size_t *n)
{
    return all(ctx, UV_DB_METERS, &rec_meter_layout, out, cap, n);
}
