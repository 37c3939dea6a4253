/* mgmt.c — engineering (management) tokens. */
#include "mgmt.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "clerks.h"
#include "masterdata.h"
#include "params.h"
#include "receipt.h"
#include "typeindex.h"
#include "vend.h"

#define MGMT_COUNTER "mgmt.seq"
#define MGMT_RETRIES 3

static const struct {
    uint32_t op;
    const char *name;
} op_names[] = {
    {UV_MGMT_SET_POWER_LIMIT, "power-limit"}, {UV_MGMT_CLEAR_CREDIT, "clear-credit"},
    {UV_MGMT_CLEAR_TAMPER, "clear-tamper"},   {UV_MGMT_SET_TARIFF_RATE, "tariff-rate"},
    {UV_MGMT_KEY_CHANGE, "key-change"},       {UV_MGMT_SET_CREDIT, "set-credit"},
    {UV_MGMT_DISABLE, "disable"},             {UV_MGMT_UNLOCK, "unlock"},
};

const char *mgmt_op_name(uint32_t op)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (op_names[i].op == op)
            return op_names[i].name;
    return "other";
}

uint32_t mgmt_op_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(op_names[i].name, name) == 0)
            return op_names[i].op;
    return 0;
}

static int printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* The meter's parameters with every new_NAME of the request replacing (or
   adding) NAME: what a key change leaves the meter with. */
static uv_status params_after_keychange(struct uv_ctx *ctx, const char *old_text,
                                        const struct uv_param_set *req, char *out, size_t cap)
{
    struct uv_param_set old;
    if (params_parse(old_text, &old) != 0)
        return uv_fail(&ctx->err, UVS_STORE, "the stored meter parameters are damaged");
    out[0] = '\0';
    char line[128];
    for (size_t i = 0; i < old.n; i++) {
        const char *value = old.p[i].value;
        for (size_t j = 0; j < req->n; j++)
            if (strncmp(req->p[j].name, "new_", 4) == 0 &&
                strcmp(req->p[j].name + 4, old.p[i].name) == 0)
                value = req->p[j].value;
        snprintf(line, sizeof line, "%s=%s", old.p[i].name, value);
        if (params_add(out, cap, line, &ctx->err) != UVS_OK)
            return ctx->err.status;
    }
    for (size_t j = 0; j < req->n; j++) {
        const char *name = req->p[j].name;
        if (strncmp(name, "new_", 4) != 0 || name[4] == '\0' ||
            params_get(old.p, old.n, name + 4) != NULL)
            continue;
        snprintf(line, sizeof line, "%s=%s", name + 4, req->p[j].value);
        if (params_add(out, cap, line, &ctx->err) != UVS_OK)
            return ctx->err.status;
    }
    return UVS_OK;
}

/* What the driver handed back must be well formed before we trust it. */
static uv_status check_result(struct uv_ctx *ctx, struct uv_loaded *d,
                              const struct uv_issue_result *res)
{
    uv_status st = vend_result_wellformed(ctx, d, res);
    if (st == UVS_OK && res->n_tokens < 1)
        st = uv_fail(&ctx->err, UVS_DRIVER, "%s returned no token; nothing was issued",
                     d->info.name);
    return st;
}

/* Every token is decoded again (with the meter as it is now) and must
   authenticate; a management token carries no credit. */
static uv_status check_tokens(struct uv_ctx *ctx, struct uv_loaded *d, const struct uv_meter *view,
                              const struct uv_issue_result *res)
{
    for (unsigned i = 0; i < res->n_tokens; i++) {
        struct uv_token_info ti;
        memset(&ti, 0, sizeof ti);
        ti.struct_size = sizeof ti;
        int rc = d->desc->decode_token(d->dctx, view, res->tokens[i], &ti);
        if (rc != UV_OK)
            return driver_fail(ctx, d, rc, UVS_DRIVER,
                               "the engineering token just issued does not verify; refused");
        if (ti.amount != 0)
            return uv_fail(&ctx->err, UVS_DRIVER,
                           "%s: the engineering token just issued decodes to a credit of %llu; "
                           "refused",
                           d->info.name, (unsigned long long)ti.amount);
    }
    return UVS_OK;
}

static uv_status mgmt_txn(struct uv_ctx *ctx, struct uv_loaded *d, const struct rec_typeidx *e,
                          const char *meter_number, uint32_t op, uint64_t arg,
                          const struct uv_param_set *req_ps, const char *params_text,
                          const char *reason, struct rec_mgmt *r, int *retry)
{
    DB_TXN *txn;
    struct rec_meter m;
    struct uv_param_set ps;
    struct uv_meter view;
    struct uv_issue_result res;
    struct uv_mgmt_request req;
    char new_params[REC_PARAMS_MAX];
    *retry = 0;
    memset(&res, 0, sizeof res);
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    /* the clock against the floor (a token id is made from it), then the
       meter, locked for update: its state must not move under us */
    int64_t now = clock_now(ctx);
    st = clock_guard(ctx, txn, now);
    if (st == UVS_OK)
        st = meter_get(ctx, txn, meter_number, &m, 1);
    if (st == UVS_OK)
        st = meter_view(ctx, &m, &ps, &view);
    if (st == UVS_OK)
        st = store_counter_next(&ctx->store, txn, MGMT_COUNTER, &r->number, &ctx->err);
    if (st != UVS_OK)
        goto out;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = op;
    req.arg = arg;
    req.params = req_ps->p;
    req.n_params = req_ps->n;
    res.struct_size = sizeof res;
    int rc = d->desc->issue_mgmt(d->dctx, &view, &req, &res);
    if (rc != UV_OK) {
        st = driver_fail(ctx, d, rc,
                         rc == UV_E_KEY_MISSING ? UVS_KEY
                         : rc == UV_E_ARG || rc == UV_E_PARAM || rc == UV_E_UNSUPPORTED
                             ? UVS_INPUT
                             : UVS_DRIVER,
                         "engineering token not issued");
        goto out;
    }
    if ((st = check_result(ctx, d, &res)) != UVS_OK ||
        (st = check_tokens(ctx, d, &view, &res)) != UVS_OK)
        goto out;
    if (op == UV_MGMT_KEY_CHANGE &&
        (st = params_after_keychange(ctx, m.params, req_ps, new_params, sizeof new_params)) !=
            UVS_OK)
        goto out;

    r->time = now;
    snprintf(r->kiosk, sizeof r->kiosk, "%s", ctx->cfg.kiosk_id);
    snprintf(r->clerk, sizeof r->clerk, "%s", ctx->actor);
    snprintf(r->meter, sizeof r->meter, "%s", m.number);
    snprintf(r->type_code, sizeof r->type_code, "%s", m.type_code);
    snprintf(r->driver, sizeof r->driver, "%s", e->driver);
    r->op = op;
    r->arg = arg;
    snprintf(r->params, sizeof r->params, "%s", params_text);
    snprintf(r->reason, sizeof r->reason, "%s", reason);
    snprintf(r->token_id, sizeof r->token_id, "%s", res.token_id);
    r->n_tokens = res.n_tokens;
    for (unsigned i = 0; i < res.n_tokens; i++)
        snprintf(r->tokens[i], sizeof r->tokens[i], "%s", res.tokens[i]);

    uint8_t key[8];
    rec_u64_key(r->number, key);
    st = store_put_rec(&ctx->store, txn, UV_DB_MGMT, key, 8, &rec_mgmt_layout, r, 1, &ctx->err);
    if (st == UVS_OK)
        st = clock_raise_floor(ctx, txn, now);
    if (st == UVS_OK) {
        memcpy(m.state, res.state, res.state_len);
        m.state_len = (uint32_t)res.state_len;
        if (op == UV_MGMT_KEY_CHANGE)
            snprintf(m.params, sizeof m.params, "%s", new_params);
        st = store_put_rec(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number),
                           &rec_meter_layout, &m, 0, &ctx->err);
    }
    if (st == UVS_OK) {
        char toks[REC_TOKENS * (REC_TOKEN_MAX + 1)] = "";
        for (unsigned i = 0; i < r->n_tokens; i++) {
            if (i)
                strcat(toks, ",");
            strcat(toks, r->tokens[i]);
        }
        st = audit_append(ctx, txn, "mgmt", m.number, "%llu %s arg %llu tokens %s reason: %s",
                          (unsigned long long)r->number, mgmt_op_name(op),
                          (unsigned long long)arg, toks, reason);
    }
out:
    explicit_bzero(&res, sizeof res);
    if (st != UVS_OK) {
        *retry = strstr(ctx->err.message, "deadlock") != NULL;
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status vend_mgmt(struct uv_ctx *ctx, const char *meter_number, uint32_t op, uint64_t arg,
                    const char *params_text, const char *reason, struct rec_mgmt *out)
{
    struct uv_quote q;
    struct uv_loaded *d;
    struct uv_param_set req_ps;
    memset(out, 0, sizeof *out);
    if (clerk_require_supervisor(ctx, "issue engineering tokens") != UVS_OK)
        return ctx->err.status;
    const char *subject = meter_number ? meter_number : "";
    uv_status st = UVS_OK;
    if (reason == NULL || reason[0] == '\0' || !printable(reason))
        st = uv_fail(&ctx->err, UVS_INPUT,
                     "an engineering token needs a reason (printable text): who asked and why");
    else if (strlen(reason) >= sizeof out->reason)
        st = uv_fail(&ctx->err, UVS_INPUT, "the reason is too long (at most %zu characters)",
                     sizeof out->reason - 1);
    else if (mgmt_op_parse(mgmt_op_name(op)) != op)
        st = uv_fail(&ctx->err, UVS_INPUT, "unknown engineering operation %u", op);
    else if (params_text == NULL)
        params_text = "";
    if (st == UVS_OK && (strlen(params_text) >= sizeof out->params ||
                         params_parse(params_text, &req_ps) != 0))
        st = uv_fail(&ctx->err, UVS_INPUT,
                     "engineering parameters must be name=value lines (name: a-z 0-9 _)");
    if (st != UVS_OK) {
        audit_append(ctx, NULL, "mgmt.refused", subject, "%s: %s", mgmt_op_name(op),
                     ctx->err.message);
        return st;
    }
    /* the meter, its driver loaded and the meter verified, as for a sale */
    if ((st = vend_lookup(ctx, meter_number, &q)) != UVS_OK ||
        (st = typeindex_match(ctx, q.meter.type_code, &d, &q.driver)) != UVS_OK)
        return st;
    if (!d->info.has_mgmt || d->desc->issue_mgmt == NULL || d->desc->decode_token == NULL) {
        st = uv_fail(&ctx->err, UVS_INPUT, "the %s driver (meter type %s) offers no engineering "
                     "tokens", d->info.name, q.meter.type_code);
        audit_append(ctx, NULL, "mgmt.refused", q.meter.number, "%s: %s", mgmt_op_name(op),
                     ctx->err.message);
        return st;
    }
    int retry = 0;
    for (int attempt = 0; attempt < MGMT_RETRIES; attempt++) {
        memset(out, 0, sizeof *out);
        st = mgmt_txn(ctx, d, &q.driver, q.meter.number, op, arg, &req_ps, params_text, reason,
                      out, &retry);
        if (st == UVS_OK || !retry)
            break;
    }
    if (st != UVS_OK) {
        memset(out, 0, sizeof *out);
        if (st != UVS_STORE && st != UVS_NOMEM)
            audit_append(ctx, NULL, "mgmt.refused", q.meter.number, "%s: %s", mgmt_op_name(op),
                         ctx->err.message);
    }
    return st;
}

uv_status mgmt_rollover_params(struct uv_ctx *ctx, const char *meter, char *params, size_t cap,
                               char *new_krn, size_t krn_cap)
{
    struct rec_meter m;
    struct uv_param_set ps;
    uv_status st = meter_get(ctx, NULL, meter, &m, 0);
    if (st != UVS_OK)
        return st;
    if (params_parse(m.params, &ps) != 0)
        return uv_fail(&ctx->err, UVS_STORE, "the parameters of meter %s are damaged", meter);
    const char *bdt = params_get(ps.p, ps.n, "bdt"), *krn = params_get(ps.p, ps.n, "krn");
    if (bdt == NULL || strcmp(bdt, "1993") != 0)
        return uv_fail(&ctx->err, UVS_INPUT,
                       "meter %s is on base date %s: no roll-over is needed", meter,
                       bdt ? bdt : "2014 (the default)");
    if (krn == NULL || strlen(krn) != 1 || krn[0] < '1' || krn[0] > '8')
        return uv_fail(&ctx->err, UVS_INPUT,
                       "meter %s has key revision %s: give the new key revision and base date "
                       "2014 as a key change",
                       meter, krn ? krn : "(none)");
    if (krn_cap < 2 || cap < 32)
        return uv_fail(&ctx->err, UVS_FAILED, "roll-over: buffer too small");
    snprintf(new_krn, krn_cap, "%c", krn[0] + 1);
    snprintf(params, cap, "new_bdt=2014\nnew_krn=%s\n", new_krn);
    return UVS_OK;
}

uv_status mgmt_get(struct uv_ctx *ctx, uint64_t number, struct rec_mgmt *m)
{
    uint8_t key[8];
    rec_u64_key(number, key);
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_MGMT, key, 8, &rec_mgmt_layout, m, 0,
                                 &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no engineering token record %llu",
                       (unsigned long long)number);
    return st;
}

struct list_arg {
    struct uv_ctx *ctx;
    const char *meter;
    FILE *out;
};

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct list_arg *la = p;
    struct rec_mgmt m;
    char when[32] = "", tok[96];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_mgmt_layout, v, vl, &m) != 0)
        return uv_fail(&la->ctx->err, UVS_STORE, "an engineering token record is damaged");
    if (la->meter && strcmp(la->meter, m.meter) != 0)
        return 0;
    time_t t = (time_t)m.time;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    fprintf(la->out, "%6llu %-16s %-14s %-10s %-12s %8llu  %s\n", (unsigned long long)m.number,
            when, m.meter, m.clerk, mgmt_op_name(m.op), (unsigned long long)m.arg, m.reason);
    for (uint32_t i = 0; i < m.n_tokens && i < REC_TOKENS; i++) {
        token_group(m.tokens[i], tok, sizeof tok);
        fprintf(la->out, "%6s   token %u/%u  %s\n", "", i + 1, m.n_tokens, tok);
    }
    return 0;
}

uv_status mgmt_list(struct uv_ctx *ctx, const char *meter, FILE *out)
{
    struct list_arg la = {ctx, meter, out};
    fprintf(out, "%6s %-16s %-14s %-10s %-12s %8s  %s\n", "NO.", "TIME (UTC)", "METER", "CLERK",
            "ACTION", "VALUE", "REASON");
    return store_iterate(&ctx->store, NULL, UV_DB_MGMT, NULL, 0, 0, list_one, &la, &ctx->err);
}
