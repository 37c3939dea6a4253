/* hqcredit.c — head office: the credit grants it sent, and reconciling them. */
#include "hqcredit.h"

#include <stdlib.h>
#include <string.h>

#include "exportfile.h"
#include "hqstore.h"
#include "instruct_apply.h"
#include "instructfile.h"
#include "money.h"

#define SENT_PREFIX "hq.credit/" /* META: hq.credit/<kiosk>/<grant id> -> rec_credit_grant */

struct sent_arg {
    struct uv_ctx *ctx;
    DB_TXN *txn;
    const char (*ids)[REC_ID_MAX];
    const uint64_t *seqs;
    size_t n;
};

static int sent_one(const struct instr_record *r, void *p)
{
    struct sent_arg *a = p;
    struct uv_ctx *ctx = a->ctx;
    struct rec_credit_grant g, seen;
    uint8_t buf[REC_BUF_MAX];
    char key[96];
    size_t len;
    if (strcmp(r->kind, "credit") != 0)
        return 0;
    uv_status st = ik_credit_grant(r, &g, &ctx->err);
    for (size_t i = 0; st == UVS_OK && i < a->n; i++) {
        if (!instr_scope_mine(r, a->ids[i]))
            continue;
        snprintf(key, sizeof key, SENT_PREFIX "%s/%s", a->ids[i], g.id);
        st = store_meta_get(&ctx->store, a->txn, key, buf, sizeof buf, &len, 1, &ctx->err);
        if (st == UVS_OK) { /* sent before: the same grant again changes nothing */
            if (rec_decode(&rec_credit_grant_layout, buf, len, &seen) != 0 ||
                seen.money != g.money || seen.energy_wh != g.energy_wh ||
                seen.expires != g.expires || seen.warn_money != g.warn_money ||
                seen.warn_wh != g.warn_wh)
                st = uv_fail(&ctx->err, UVS_REFUSED,
                             "credit grant %s was already sent to kiosk %s with other amounts; "
                             "give a new grant a new id",
                             g.id, a->ids[i]);
            continue;
        }
        if (st != UVS_NOTFOUND)
            break;
        g.instruction = a->seqs[i];
        if ((len = rec_encode(&rec_credit_grant_layout, &g, buf, sizeof buf)) == 0)
            st = uv_fail(&ctx->err, UVS_FAILED, "credit grant %s does not encode", g.id);
        else
            st = store_meta_put(&ctx->store, a->txn, key, buf, len, &ctx->err);
    }
    return (int)st;
}

uv_status hq_credit_sent(struct uv_ctx *ctx, DB_TXN *txn, const char *buf, size_t len,
                         const char (*ids)[REC_ID_MAX], const uint64_t *seqs, size_t n)
{
    struct instr_parsed p;
    struct sent_arg a = {ctx, txn, ids, seqs, n};
    return instrfile_parse(buf, len, &p, NULL, sent_one, &a, &ctx->err);
}

/* ---- the reconciliation ------------------------------------------------ */

struct kiosk_credit {
    char id[REC_ID_MAX];
    struct rec_hq_file last;      /* the newest file reporting the credit  */
    int reported;
    uint64_t files, expect, missing;
    /* head office's grants: confirmed applied, and not yet */
    int64_t money_sent, money_pending;
    uint64_t energy_sent, energy_pending, grants_sent, grants_pending;
    /* receipts from the first one counted */
    int64_t sales_money;
    uint64_t sales_energy, sales;
};

static int file_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct kiosk_credit *kc = p;
    struct rec_hq_file f;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_file_layout, v, vl, &f) != 0)
        return 0;
    if (strcmp(f.kiosk, kc->id) != 0)
        return STORE_STOP;
    kc->files++;
    if (f.sequence > kc->expect)
        kc->missing += f.sequence - kc->expect;
    kc->expect = f.sequence + 1;
    if (f.credit_in) {
        kc->last = f;
        kc->reported = 1;
    }
    return 0;
}

struct grant_arg {
    struct uv_ctx *ctx;
    struct kiosk_credit *kc;
    size_t plen;
    const char *prefix;
};

static int grant_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct grant_arg *a = p;
    struct rec_credit_grant g;
    struct rec_hq_instr s;
    uint8_t key[REC_ID_MAX + 9];
    if (kl < a->plen || memcmp(k, a->prefix, a->plen) != 0)
        return STORE_STOP;
    if (rec_decode(&rec_credit_grant_layout, v, vl, &g) != 0)
        return 0;
    int applied = store_get_rec(&a->ctx->store, NULL, UV_DB_HQ_INSTR, key,
                                hq_key(a->kc->id, g.instruction, key), &rec_hq_instr_layout, &s, 0,
                                &a->ctx->err) == UVS_OK &&
                  s.applied_at != 0;
    if (applied) {
        a->kc->money_sent += g.money;
        a->kc->energy_sent += g.energy_wh;
        a->kc->grants_sent++;
    } else {
        a->kc->money_pending += g.money;
        a->kc->energy_pending += g.energy_wh;
        a->kc->grants_pending++;
    }
    return 0;
}

/* The sales received from receipt number `from` on: whole files by the
   totals they were imported with, the one file `from` falls inside read
   back and its receipts from `from` on added. */
struct sales_arg {
    struct uv_ctx *ctx;
    struct kiosk_credit *kc;
    uint64_t from;
    void *buf; /* a file read back */
    size_t cap;
};

static int sale_in_file(int kind, const void *rec, void *p)
{
    struct sales_arg *a = p;
    const struct rec_receipt *r = rec;
    if (kind == 'R' && r->number >= a->from) {
        a->kc->sales_money += r->gross;
        a->kc->sales_energy += r->energy_wh;
        a->kc->sales++;
    }
    return 0;
}

static int sales_file(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct sales_arg *a = p;
    struct kiosk_credit *kc = a->kc;
    struct rec_hq_file f;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_file_layout, v, vl, &f) != 0)
        return 0;
    if (strcmp(f.kiosk, kc->id) != 0)
        return STORE_STOP;
    if (f.receipts == 0 || f.receipt_last < a->from)
        return 0;
    if (f.receipt_first >= a->from) {
        kc->sales_money += f.gross;
        kc->sales_energy += f.energy_wh;
        kc->sales += f.receipts;
        return 0;
    }
    size_t len = 0;
    struct export_parsed ep;
    struct uv_error e;
    uv_status st = hq_file_read(a->ctx, f.kiosk, f.sequence, &a->buf, &a->cap, &len, NULL);
    if (st == UVS_OK && exportfile_parse(a->buf, len, &ep, sale_in_file, a, &e) != UVS_OK)
        st = uv_fail(&a->ctx->err, UVS_STORE, "the stored copy of kiosk %s file %llu does not "
                                              "read back (%s)",
                     f.kiosk, (unsigned long long)f.sequence, e.message);
    return (int)st;
}

static uv_status sales_from(struct uv_ctx *ctx, struct kiosk_credit *kc, uint64_t from)
{
    uint8_t key[HQ_KEY_MAX];
    struct sales_arg a = {ctx, kc, from, NULL, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_FILES, key, hq_key(kc->id, 0, key), 0,
                                 sales_file, &a, &ctx->err);
    free(a.buf);
    return st;
}

static void money_text(const struct uv_ctx *ctx, int64_t v, char *buf, size_t cap)
{
    money_format(v < 0 ? -v : v, ctx->cfg.currency_decimals, buf + (v < 0), cap - (v < 0));
    if (v < 0)
        buf[0] = '-';
}

static void energy_text(int64_t wh, char *buf, size_t cap)
{
    energy_format((uint64_t)(wh < 0 ? -wh : wh), buf + (wh < 0), cap - (wh < 0));
    if (wh < 0)
        buf[0] = '-';
}

/* One kind (money or energy) of one kiosk; 1 when it does not reconcile. */
static int reconcile(struct uv_ctx *ctx, FILE *out, const struct kiosk_credit *kc, int energy)
{
    int64_t sent = energy ? (int64_t)kc->energy_sent : kc->money_sent;
    int64_t granted = energy ? (int64_t)kc->last.credit_energy_granted_wh
                             : kc->last.credit_money_granted;
    int64_t used = energy ? (int64_t)kc->last.credit_energy_used_wh : kc->last.credit_money_used;
    int64_t sales = energy ? (int64_t)kc->sales_energy : kc->sales_money;
    int64_t left = granted - used, expect = sent - sales;
    char a[40], b[40], c[40], d[40], e[40];
    if (sent == 0 && granted == 0) {
        fprintf(out, "  %-16s %-7s not limited\n", kc->id, energy ? "energy" : "money");
        return 0;
    }
    if (energy) {
        energy_text(sent, a, sizeof a);
        energy_text(sales, b, sizeof b);
        energy_text(expect, c, sizeof c);
        energy_text(left, d, sizeof d);
        energy_text(granted, e, sizeof e);
    } else {
        money_text(ctx, sent, a, sizeof a);
        money_text(ctx, sales, b, sizeof b);
        money_text(ctx, expect, c, sizeof c);
        money_text(ctx, left, d, sizeof d);
        money_text(ctx, granted, e, sizeof e);
    }
    int ok = granted == sent && left == expect && used == sales;
    fprintf(out, "  %-16s %-7s granted %s - sales received %s = %s; reported left %s  %s\n",
            kc->id, energy ? "energy" : "money", a, b, c, d, ok ? "ok" : "MISMATCH");
    if (granted != sent)
        fprintf(out, "  %-16s %-7s   the kiosk reports %s granted; head office's confirmed grants "
                     "are %s\n",
                kc->id, "", e, a);
    else if (!ok && kc->missing)
        fprintf(out, "  %-16s %-7s   %llu export file(s) missing: their sales are not here yet\n",
                kc->id, "", (unsigned long long)kc->missing);
    return !ok;
}

struct report_arg {
    struct uv_ctx *ctx;
    FILE *out;
    unsigned shown, bad;
};

static int kiosk_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct report_arg *r = p;
    struct uv_ctx *ctx = r->ctx;
    struct rec_hq_kiosk hk;
    struct kiosk_credit *kc = calloc(1, sizeof *kc);
    uint8_t from[REC_ID_MAX + 9];
    char prefix[64];
    (void)k;
    (void)kl;
    if (kc == NULL)
        return UVS_NOMEM;
    if (rec_decode(&rec_hq_kiosk_layout, v, vl, &hk) != 0) {
        free(kc);
        return 0;
    }
    snprintf(kc->id, sizeof kc->id, "%s", hk.id);
    kc->expect = 1;
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_FILES, from, hq_key(kc->id, 0, from), 0,
                                 file_one, kc, &ctx->err);
    snprintf(prefix, sizeof prefix, SENT_PREFIX "%s/", kc->id);
    struct grant_arg ga = {ctx, kc, strlen(prefix), prefix};
    if (st == UVS_OK)
        st = store_iterate(&ctx->store, NULL, UV_DB_META, prefix, strlen(prefix), 0, grant_one,
                           &ga, &ctx->err);
    if (st == UVS_OK && kc->reported && kc->last.credit_grants)
        st = sales_from(ctx, kc, kc->last.credit_from_receipt);
    if (st != UVS_OK) {
        free(kc);
        return (int)st;
    }
    int granted = kc->reported && kc->last.credit_grants;
    if (granted || kc->grants_sent || kc->grants_pending) {
        r->shown++;
        if (!granted && kc->reported && kc->grants_sent) {
            /* the kiosk confirmed applying grants but reports none */
            fprintf(r->out, "  %-16s MISMATCH: file %llu reports no credit grant, but the kiosk "
                            "confirmed applying %llu grant(s) of head office\n",
                    kc->id, (unsigned long long)kc->last.sequence,
                    (unsigned long long)kc->grants_sent);
            r->bad++;
        } else if (!granted) {
            fprintf(r->out, "  %-16s no export reports a credit yet\n", kc->id);
        } else {
            fprintf(r->out, "  %-16s file %llu: %llu grant(s), counted from receipt %llu, %llu "
                            "sale(s) received\n",
                    kc->id, (unsigned long long)kc->last.sequence,
                    (unsigned long long)kc->last.credit_grants,
                    (unsigned long long)kc->last.credit_from_receipt,
                    (unsigned long long)kc->sales);
            int bad = reconcile(ctx, r->out, kc, 0);
            bad |= reconcile(ctx, r->out, kc, 1);
            r->bad += (unsigned)bad;
        }
        if (kc->grants_pending) {
            char a[40], b[40];
            money_text(ctx, kc->money_pending, a, sizeof a);
            energy_text((int64_t)kc->energy_pending, b, sizeof b);
            fprintf(r->out, "  %-16s %llu grant(s) sent, not yet confirmed applied (%s %s, %s "
                            "kWh)\n",
                    kc->id, (unsigned long long)kc->grants_pending, a, ctx->cfg.currency, b);
        }
    }
    free(kc);
    return 0;
}

uv_status hq_credit_report(struct uv_ctx *ctx, FILE *out, unsigned *mismatches)
{
    struct report_arg r = {ctx, out, 0, 0};
    fprintf(out, "\nvending credit (money in %s, energy in kWh): granted - sales received = "
                 "left\n",
            ctx->cfg.currency);
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_KIOSKS, NULL, 0, 0, kiosk_one, &r,
                                 &ctx->err);
    if (st == UVS_OK && r.shown == 0)
        fprintf(out, "  none granted\n");
    if (mismatches)
        *mismatches = r.bad;
    return st;
}
