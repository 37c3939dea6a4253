/* instruct_md.c — instruction records for master data: tariffs, customers,
   debts, meters, clerks. Each writes inside the file's transaction and
   audits what it changed, naming the instruction. */
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "clerks.h"
#include "instruct_apply.h"
#include "masterdata.h"
#include "params.h"
#include "tariff.h"
#include "tariffver.h"
#include "typeindex.h"
#include "vend.h"

static uv_status bad(struct uv_error *err, const char *what)
{
    return uv_fail(err, UVS_INPUT, "%s", what);
}

/* ---- tariff: ID,NAME,EFFECTIVE,VAT_BP,FIXED,LIFELINE_WH,BLOCKS[,LEVY]... */

/* BLOCKS: "upto_wh:price_milli" separated by spaces (upto 0: the rest);
   LEVY: "bp:name". */
static uv_status tariff_of(const struct instr_record *r, struct rec_tariff *t, int64_t *effective,
                           struct uv_error *err)
{
    uint64_t u;
    memset(t, 0, sizeof *t);
    if (!md_id_valid(r->f[0]))
        return bad(err, "the tariff id is invalid (1-31 of A-Z a-z 0-9 . _ -)");
    if (ik_text(r->f[1], sizeof t->name) != 0)
        return bad(err, "the tariff name is not printable or too long");
    snprintf(t->id, sizeof t->id, "%s", r->f[0]);
    snprintf(t->name, sizeof t->name, "%s", r->f[1][0] ? r->f[1] : r->f[0]);
    if (ik_i64(r->f[2], effective) != 0 || *effective < 0)
        return bad(err, "the effective date is not Unix seconds (0: at once)");
    if (ik_u64(r->f[3], &u) != 0 || u > 10000)
        return bad(err, "VAT is basis points, 0 to 10000");
    t->vat_bp = (uint32_t)u;
    if (ik_i64(r->f[4], &t->fixed_monthly) != 0 || ik_u64(r->f[5], &t->lifeline_wh) != 0)
        return bad(err, "the fixed charge (minor units) or lifeline (Wh) is malformed");
    char blocks[INSTR_FIELD_MAX];
    snprintf(blocks, sizeof blocks, "%s", r->f[6]);
    char *sv = NULL;
    for (char *b = strtok_r(blocks, " ", &sv); b; b = strtok_r(NULL, " ", &sv)) {
        char *colon = strchr(b, ':');
        if (colon == NULL || t->n_blocks >= TARIFF_BLOCKS)
            return bad(err, "blocks are up to 4 of UPTO_WH:PRICE_MILLI separated by spaces");
        *colon = '\0';
        if (ik_u64(b, &t->block_upto_wh[t->n_blocks]) != 0 ||
            ik_i64(colon + 1, &t->block_price_milli[t->n_blocks]) != 0)
            return bad(err, "a block is UPTO_WH:PRICE_MILLI (integers)");
        t->n_blocks++;
    }
    if (t->n_blocks == 0)
        return bad(err, "a tariff needs at least one block (0:PRICE_MILLI for a flat price)");
    t->price_milli = t->block_price_milli[0];
    if (t->n_blocks == 1 && t->block_upto_wh[0] == 0) { /* flat */
        t->n_blocks = 0;
        t->block_price_milli[0] = 0;
    }
    for (size_t i = 7; i < r->nf; i++) {
        char *colon = strchr(r->f[i], ':');
        if (colon == NULL || (size_t)(colon - r->f[i]) > 5)
            return bad(err, "a levy is BP:NAME");
        char num[8];
        memcpy(num, r->f[i], (size_t)(colon - r->f[i]));
        num[colon - r->f[i]] = '\0';
        if (ik_u64(num, &u) != 0 || u > 10000 || colon[1] == '\0' ||
            ik_text(colon + 1, sizeof t->levy_name[0]) != 0)
            return bad(err, "a levy is BP:NAME (0-10000 basis points, a printable name)");
        t->levy_bp[t->n_levies] = (uint32_t)u;
        snprintf(t->levy_name[t->n_levies], sizeof t->levy_name[0], "%s", colon + 1);
        t->n_levies++;
    }
    struct tariff_def d;
    tariff_from_record(t, &d);
    return tariff_check(&d, err);
}

uv_status ik_tariff_check(const struct instr_record *r, struct uv_error *err)
{
    struct rec_tariff t;
    int64_t eff;
    return tariff_of(r, &t, &eff, err);
}

uv_status ik_tariff_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_tariff t, old;
    int64_t eff, now = clock_now(ctx);
    char by[48];
    uv_status st = tariff_of(r, &t, &eff, &ctx->err);
    if (st != UVS_OK)
        return st;
    t.created_at = now;
    /* a change already due is in force from now; a later one from its date */
    int64_t from = eff > now ? eff : now;
    if ((st = tariff_version_put(ctx, txn, &t, from)) != UVS_OK)
        return st;
    if (eff <= now) { /* the tariff's own record shows what is in force */
        st = store_get_rec(&ctx->store, txn, UV_DB_TARIFFS, t.id, strlen(t.id),
                           &rec_tariff_layout, &old, 1, &ctx->err);
        if (st == UVS_OK)
            t.created_at = old.created_at;
        else if (st != UVS_NOTFOUND)
            return st;
        st = store_put_rec(&ctx->store, txn, UV_DB_TARIFFS, t.id, strlen(t.id), &rec_tariff_layout,
                           &t, 0, &ctx->err);
        if (st != UVS_OK)
            return st;
    }
    r->run->tariffs++;
    return audit_append(ctx, txn, "tariff.change", t.id,
                        "from %lld: %u block(s) first %lld milli/kWh, VAT %u bp, %u levies, fixed "
                        "%lld, lifeline %llu Wh, by %s",
                        (long long)from, t.n_blocks ? t.n_blocks : 1, (long long)t.price_milli,
                        t.vat_bp, t.n_levies, (long long)t.fixed_monthly,
                        (unsigned long long)t.lifeline_wh, ik_by(r, by, sizeof by));
}

/* ---- customer: ID,NAME[,ADDRESS[,PHONE]] ------------------------------ */

static uv_status customer_of(const struct instr_record *r, struct rec_customer *c,
                             struct uv_error *err)
{
    memset(c, 0, sizeof *c);
    if (!md_id_valid(r->f[0]))
        return bad(err, "the customer id is invalid (1-31 of A-Z a-z 0-9 . _ -)");
    if (r->f[1][0] == '\0' || ik_text(r->f[1], sizeof c->name) != 0 ||
        (r->nf > 2 && ik_text(r->f[2], sizeof c->address) != 0) ||
        (r->nf > 3 && ik_text(r->f[3], sizeof c->phone) != 0))
        return bad(err, "a customer needs a printable name; address and phone printable, "
                        "not too long");
    snprintf(c->id, sizeof c->id, "%s", r->f[0]);
    snprintf(c->name, sizeof c->name, "%s", r->f[1]);
    snprintf(c->address, sizeof c->address, "%s", r->nf > 2 ? r->f[2] : "");
    snprintf(c->phone, sizeof c->phone, "%s", r->nf > 3 ? r->f[3] : "");
    return UVS_OK;
}

uv_status ik_customer_check(const struct instr_record *r, struct uv_error *err)
{
    struct rec_customer c;
    return customer_of(r, &c, err);
}

uv_status ik_customer_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_customer c, old;
    char by[48];
    uv_status st = customer_of(r, &c, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, c.id, strlen(c.id), &rec_customer_layout,
                       &old, 1, &ctx->err);
    if (st != UVS_OK && st != UVS_NOTFOUND)
        return st;
    int exists = st == UVS_OK;
    if (exists) { /* the debt is the debt record's business */
        c.created_at = old.created_at;
        c.debt = old.debt;
        c.debt_recover_bp = old.debt_recover_bp;
        c.debt_recover_fixed = old.debt_recover_fixed;
    } else {
        c.created_at = clock_now(ctx);
    }
    st = store_put_rec(&ctx->store, txn, UV_DB_CUSTOMERS, c.id, strlen(c.id), &rec_customer_layout,
                       &c, 0, &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->customers++;
    return audit_append(ctx, txn, exists ? "customer.update" : "customer.add", c.id, "%s, by %s",
                        c.name, ik_by(r, by, sizeof by));
}

/* ---- debt: CUSTOMER,AMOUNT,RECOVER_BP,RECOVER_FIXED -------------------- */

struct debt {
    int64_t amount, fixed;
    uint64_t bp;
};

static uv_status debt_of(const struct instr_record *r, struct debt *d, struct uv_error *err)
{
    if (!md_id_valid(r->f[0]))
        return bad(err, "the customer id is invalid");
    if (ik_i64(r->f[1], &d->amount) != 0 || ik_u64(r->f[2], &d->bp) != 0 ||
        ik_i64(r->f[3], &d->fixed) != 0 || d->amount < 0 || d->bp > 10000 || d->fixed < 0 ||
        (d->bp && d->fixed))
        return bad(err, "a debt is AMOUNT >= 0 (minor units), recovered by a share (0-10000 bp) "
                        "or a fixed amount, not both");
    if (d->amount > 0 && d->bp == 0 && d->fixed == 0)
        return bad(err, "say how the debt is recovered (a share or a fixed amount)");
    return UVS_OK;
}

uv_status ik_debt_check(const struct instr_record *r, struct uv_error *err)
{
    struct debt d;
    return debt_of(r, &d, err);
}

uv_status ik_debt_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct debt d;
    struct rec_customer c;
    char by[48];
    uv_status st = debt_of(r, &d, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, r->f[0], strlen(r->f[0]),
                       &rec_customer_layout, &c, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no customer %s here for its debt", r->f[0]);
    if (st != UVS_OK)
        return st;
    c.debt = d.amount;
    c.debt_recover_bp = (uint32_t)d.bp;
    c.debt_recover_fixed = d.fixed;
    st = store_put_rec(&ctx->store, txn, UV_DB_CUSTOMERS, c.id, strlen(c.id), &rec_customer_layout,
                       &c, 0, &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->customers++;
    return audit_append(ctx, txn, "customer.debt", c.id,
                        "debt %lld, recover %u bp or %lld per purchase, by %s", (long long)c.debt,
                        c.debt_recover_bp, (long long)c.debt_recover_fixed,
                        ik_by(r, by, sizeof by));
}

/* ---- meter: NUMBER,TYPE,CUSTOMER,TARIFF[,name=value]... ---------------- */

static uv_status meter_of(const struct instr_record *r, struct rec_meter *m, struct uv_error *err)
{
    memset(m, 0, sizeof *m);
    if (!md_id_valid(r->f[0]))
        return bad(err, "the meter number is invalid");
    if (!loader_type_code_valid(r->f[1]))
        return bad(err, "the type code is invalid (1-15 of A-Z 0-9 . _ -)");
    if (!md_id_valid(r->f[2]) || !md_id_valid(r->f[3]))
        return bad(err, "the customer or tariff id is invalid");
    snprintf(m->number, sizeof m->number, "%s", r->f[0]);
    snprintf(m->type_code, sizeof m->type_code, "%s", r->f[1]);
    snprintf(m->customer, sizeof m->customer, "%s", r->f[2]);
    snprintf(m->tariff, sizeof m->tariff, "%s", r->f[3]);
    for (size_t i = 4; i < r->nf; i++)
        if (params_add(m->params, sizeof m->params, r->f[i], err) != UVS_OK)
            return UVS_INPUT;
    return UVS_OK;
}

uv_status ik_meter_check(const struct instr_record *r, struct uv_error *err)
{
    struct rec_meter m;
    return meter_of(r, &m, err);
}

/* The meter belongs to another kiosk now: if it is here, it leaves. */
static uv_status meter_leaves(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_meter m;
    char by[48];
    uv_status st = store_get_rec(&ctx->store, txn, UV_DB_METERS, r->f[0], strlen(r->f[0]),
                                 &rec_meter_layout, &m, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st == UVS_OK)
        st = store_del(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number), &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->meters++;
    return audit_append(ctx, txn, "meter.move", m.number, "to kiosk %s after %llu sale(s), by %s",
                        r->scope, (unsigned long long)m.sales_count, ik_by(r, by, sizeof by));
}

uv_status ik_meter_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_meter m, old;
    struct rec_customer c;
    struct rec_tariff t;
    struct rec_typeidx e;
    struct uv_loaded *d;
    struct uv_param_set ps;
    struct uv_meter view;
    struct uv_medium_info info;
    char by[48];
    if (!instr_scope_mine(r, ctx->cfg.kiosk_id))
        return meter_leaves(ctx, txn, r);
    uv_status st = meter_of(r, &m, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, m.customer, strlen(m.customer),
                       &rec_customer_layout, &c, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "meter %s: no customer %s here", m.number,
                       m.customer);
    int versions = 0;
    if (st == UVS_OK)
        st = tariff_version_any(ctx, txn, m.tariff, &versions);
    if (st == UVS_OK && !versions) {
        st = store_get_rec(&ctx->store, txn, UV_DB_TARIFFS, m.tariff, strlen(m.tariff),
                           &rec_tariff_layout, &t, 0, &ctx->err);
        if (st == UVS_NOTFOUND)
            return uv_fail(&ctx->err, UVS_NOTFOUND, "meter %s: no tariff %s here", m.number,
                           m.tariff);
    }
    /* the driver checks the meter, as for a meter added by hand: a meter that
       could not be sold to is not stored */
    if (st == UVS_OK) {
        st = store_get_rec(&ctx->store, txn, UV_DB_TYPEIDX, m.type_code, strlen(m.type_code),
                           &rec_typeidx_layout, &e, 0, &ctx->err);
        if (st == UVS_NOTFOUND)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "meter %s: no driver serves type %s here (send its driver package "
                           "first)",
                           m.number, m.type_code);
    }
    if (st == UVS_OK)
        st = typeindex_match_txn(ctx, txn, m.type_code, &d, &e);
    if (st == UVS_OK)
        st = meter_view(ctx, &m, &ps, &view);
    if (st != UVS_OK)
        return st;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int rc = d->desc->verify(d->dctx, &view, &info);
    if (rc != UV_OK)
        return driver_fail(ctx, d, rc, UVS_REFUSED, "meter refused");
    st = store_get_rec(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number),
                       &rec_meter_layout, &old, 1, &ctx->err);
    if (st != UVS_OK && st != UVS_NOTFOUND)
        return st;
    int exists = st == UVS_OK;
    if (exists) { /* its sales history stays; its driver state while its type does */
        if (strcmp(old.type_code, m.type_code) == 0) {
            memcpy(m.state, old.state, sizeof m.state);
            m.state_len = old.state_len;
        }
        m.created_at = old.created_at;
        m.last_sale_at = old.last_sale_at;
        m.sales_count = old.sales_count;
        m.last_receipt = old.last_receipt;
        m.month = old.month;
        m.month_bought_wh = old.month_bought_wh;
        m.month_fixed_paid = old.month_fixed_paid;
        m.month_lifeline = old.month_lifeline;
    } else {
        m.created_at = clock_now(ctx);
    }
    st = store_put_rec(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number),
                       &rec_meter_layout, &m, 0, &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->meters++;
    return audit_append(ctx, txn, exists ? "meter.update" : "meter.add", m.number,
                        "type %s customer %s tariff %s, by %s", m.type_code, m.customer, m.tariff,
                        ik_by(r, by, sizeof by));
}

/* ---- meter-remove: NUMBER --------------------------------------------- */

uv_status ik_meter_remove_check(const struct instr_record *r, struct uv_error *err)
{
    return md_id_valid(r->f[0]) ? UVS_OK : bad(err, "the meter number is invalid");
}

uv_status ik_meter_remove_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    char by[48];
    uv_status st = store_del(&ctx->store, txn, UV_DB_METERS, r->f[0], strlen(r->f[0]), &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no meter %s here to remove", r->f[0]);
    if (st != UVS_OK)
        return st;
    r->run->meters++;
    return audit_append(ctx, txn, "meter.remove", r->f[0], "by %s", ik_by(r, by, sizeof by));
}

/* ---- clerk: ID,NAME,ROLE; clerk-disable / clerk-enable: ID ------------ */

uv_status ik_clerk_check(const struct instr_record *r, struct uv_error *err)
{
    if (!md_id_valid(r->f[0]))
        return bad(err, "the clerk id is invalid (1-31 of A-Z a-z 0-9 . _ -)");
    if (r->f[1][0] == '\0' || ik_text(r->f[1], sizeof ((struct rec_clerk *)0)->name) != 0)
        return bad(err, "a clerk needs a printable name of at most 63 characters");
    if (clerk_role_parse(r->f[2]) == 0)
        return bad(err, "the role is clerk or supervisor");
    return UVS_OK;
}

static uv_status clerk_load(struct uv_ctx *ctx, DB_TXN *txn, const char *id, struct rec_clerk *c)
{
    return store_get_rec(&ctx->store, txn, UV_DB_CLERKS, id, strlen(id), &rec_clerk_layout, c, 1,
                         &ctx->err);
}

uv_status ik_clerk_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_clerk c;
    char by[48];
    uv_status st = clerk_load(ctx, txn, r->f[0], &c);
    if (st != UVS_OK && st != UVS_NOTFOUND)
        return st;
    int exists = st == UVS_OK;
    if (!exists) { /* no PIN: head office cannot know this kiosk's PIN pepper */
        memset(&c, 0, sizeof c);
        snprintf(c.id, sizeof c.id, "%s", r->f[0]);
        c.created_at = clock_now(ctx);
    }
    snprintf(c.name, sizeof c.name, "%s", r->f[1]);
    c.role = clerk_role_parse(r->f[2]);
    st = store_put_rec(&ctx->store, txn, UV_DB_CLERKS, c.id, strlen(c.id), &rec_clerk_layout, &c,
                       0, &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->clerks++;
    return audit_append(ctx, txn, exists ? "clerk.update" : "clerk.add", c.id, "%s, %s%s, by %s",
                        c.name, clerk_role_name(c.role), exists ? "" : ", no PIN yet",
                        ik_by(r, by, sizeof by));
}

uv_status ik_clerk_state_check(const struct instr_record *r, struct uv_error *err)
{
    return md_id_valid(r->f[0]) ? UVS_OK : bad(err, "the clerk id is invalid");
}

uv_status ik_clerk_state_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_clerk c;
    char by[48];
    int disable = strcmp(r->kind, "clerk-disable") == 0;
    uv_status st = clerk_load(ctx, txn, r->f[0], &c);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no clerk %s here", r->f[0]);
    if (st != UVS_OK)
        return st;
    c.disabled = disable ? 1 : 0;
    st = store_put_rec(&ctx->store, txn, UV_DB_CLERKS, c.id, strlen(c.id), &rec_clerk_layout, &c,
                       0, &ctx->err);
    if (st != UVS_OK)
        return st;
    r->run->clerks++;
    return audit_append(ctx, txn, disable ? "clerk.disable" : "clerk.enable", c.id, "by %s",
                        ik_by(r, by, sizeof by));
}
