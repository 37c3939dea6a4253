/* test_instruct.c — instruction files at the kiosk: parsing, every refusal,
   one transaction per file. Files are built here with the format's own
   writer and signed with a key the kiosk trusts (or not). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "blacklist.h"
#include "digest.h"
#include "ed25519.h"
#include "instruct.h"
#include "instruct_kinds.h"
#include "instructfile.h"
#include "masterdata.h"
#include "tariffver.h"
#include "testutil.h"
#include "trust.h"

struct hqk {
    uint8_t secret[32], pub[32];
    char hex[65];
};

static void hqk_new(struct hqk *k)
{
    struct uv_error e;
    ck_assert(ed25519_generate(k->secret, k->pub, &e) == UVS_OK);
    digest_hex(k->pub, 32, k->hex);
}

struct spec {
    const char *kiosks[3];
    uint64_t seqs[3];
    int64_t created, expires;
    const char *records; /* lines, each ending in \n */
};

/* Build a signed file into dir; returns its path (malloc'ed). */
static char *build(const char *dir, const struct hqk *k, const struct spec *s, const char *name)
{
    struct instr_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.target, sizeof h.target, "kiosk:%s", s->kiosks[0]);
    h.created = s->created ? s->created : (int64_t)time(NULL) - 60;
    h.expires = s->expires ? s->expires : h.created + 86400;
    memcpy(h.signer, k->pub, 32);
    for (; h.kiosks < 3 && s->kiosks[h.kiosks]; h.kiosks++)
        ;
    for (const char *p = s->records ? s->records : ""; *p; p++)
        h.records += *p == '\n';
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    instrfile_write_header(m, &h);
    for (uint64_t i = 0; i < h.kiosks; i++)
        instrfile_write_kiosk(m, s->kiosks[i], s->seqs[i]);
    fputs(s->records ? s->records : "", m);
    fflush(m);
    uint8_t msg[INSTR_SIG_CONTEXT_LEN + 32], sig[64];
    struct uv_error e;
    instrfile_signed_message(buf, len, msg);
    ck_assert(ed25519_sign(k->secret, k->pub, msg, sizeof msg, sig, &e) == UVS_OK);
    instrfile_write_signature(m, sig);
    fclose(m);
    char *path;
    ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    return path;
}

static uv_status apply1(struct uv_ctx *ctx, const char *path)
{
    char *p[1] = {(char *)path};
    struct instruct_stats st;
    return instruct_apply(ctx, p, 1, NULL, &st);
}

static uint64_t applied_seq(struct uv_ctx *ctx)
{
    uint64_t seq;
    int64_t t;
    ck_assert(instruct_state(ctx, NULL, &seq, &t) == UVS_OK);
    return seq;
}

static int customer_exists(struct uv_ctx *ctx, const char *id)
{
    struct rec_customer c;
    struct uv_error keep = ctx->err;
    int r = customer_get(ctx, NULL, id, &c) == UVS_OK;
    ctx->err = keep;
    return r;
}

/* The newest audit record's action (and detail, when asked). */
static void last_audit_detail(struct uv_ctx *ctx, char *action, size_t cap, char *detail,
                              size_t dcap)
{
    uint64_t n;
    uint8_t key[8];
    struct rec_audit a;
    ck_assert(store_counter_peek(&ctx->store, NULL, "audit.seq", &n, &ctx->err) == UVS_OK);
    rec_u64_key(n, key);
    ck_assert(store_get_rec(&ctx->store, NULL, UV_DB_AUDIT, key, 8, &rec_audit_layout, &a, 0,
                            &ctx->err) == UVS_OK);
    snprintf(action, cap, "%s", a.action);
    if (detail)
        snprintf(detail, dcap, "%s", a.detail);
}

static void last_audit(struct uv_ctx *ctx, char *action, size_t cap)
{
    last_audit_detail(ctx, action, cap, NULL, 0);
}

struct fixture {
    struct uv_ctx *ctx;
    struct hqk k;
    char *dir;
};

static void setup(struct fixture *f)
{
    f->ctx = tu_kiosk_with_sts();
    hqk_new(&f->k);
    ck_assert_int_eq(trust_add(f->ctx, "HQ", f->k.hex), UVS_OK);
    f->dir = tu_mkdtemp();
}

static void teardown(struct fixture *f)
{
    tu_rmrf(f->dir);
    free(f->dir);
    tu_kiosk_free(f->ctx);
}

#define REFUSED_WITH(f, path, text)                                                        \
    do {                                                                                   \
        ck_assert_int_eq(apply1((f)->ctx, path), UVS_REFUSED);                             \
        char act_[32], det_[256];                                                          \
        last_audit_detail((f)->ctx, act_, sizeof act_, det_, sizeof det_);                 \
        ck_assert_str_eq(act_, "instruction.refused");                                     \
        ck_assert_msg(strstr(det_, text) != NULL, "refusal says: %s", det_);               \
    } while (0)

START_TEST(applies_in_order_exactly_once)
{
    struct fixture f;
    setup(&f);
    struct spec s1 = {{"TEST-1"}, {1}, 0, 0, "customer,*,C2,Second Customer,1 Road\n"};
    struct spec s2 = {{"TEST-1"}, {2}, 0, 0, "customer,TEST-1,C3,Third\n"};
    char *p1 = build(f.dir, &f.k, &s1, "a.uvi"), *p2 = build(f.dir, &f.k, &s2, "b.uvi");
    /* 2 before 1: a gap */
    ck_assert_int_eq(apply1(f.ctx, p2), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(f.ctx->err.message, "1 of 1"));
    ck_assert(!customer_exists(f.ctx, "C3"));
    ck_assert_int_eq(apply1(f.ctx, p1), UVS_OK);
    ck_assert(customer_exists(f.ctx, "C2"));
    ck_assert_int_eq(apply1(f.ctx, p2), UVS_OK);
    ck_assert(customer_exists(f.ctx, "C3"));
    ck_assert_uint_eq(applied_seq(f.ctx), 2);
    /* again: replayed, refused, nothing changes */
    REFUSED_WITH(&f, p1, "replayed");
    ck_assert_uint_eq(applied_seq(f.ctx), 2);
    /* the head office time is kept for the clock guard */
    uint64_t seq;
    int64_t hq;
    ck_assert(instruct_state(f.ctx, NULL, &seq, &hq) == UVS_OK);
    ck_assert(hq > 0 && hq <= (int64_t)time(NULL));
    uint64_t n;
    ck_assert(audit_verify(f.ctx, &n) == UVS_OK);
    free(p1), free(p2);
    teardown(&f);
}
END_TEST

START_TEST(a_directory_is_applied_in_sequence_order)
{
    struct fixture f;
    setup(&f);
    struct spec s1 = {{"TEST-1"}, {1}, 0, 0, "customer,*,C2,Two\n"};
    struct spec s2 = {{"TEST-1"}, {2}, 0, 0, "debt,*,C2,500,1000,0\n"};
    struct spec other = {{"OTHER"}, {1}, 0, 0, "customer,*,C9,Nine\n"};
    /* names sort the wrong way round on purpose */
    char *p2 = build(f.dir, &f.k, &s2, "a.uvi"), *p1 = build(f.dir, &f.k, &s1, "b.uvi");
    char *po = build(f.dir, &f.k, &other, "c.uvi");
    char *paths[1] = {f.dir};
    struct instruct_stats st;
    ck_assert_int_eq(instruct_apply(f.ctx, paths, 1, NULL, &st), UVS_OK);
    ck_assert_uint_eq(st.applied, 2);
    ck_assert_uint_eq(st.skipped, 1);
    struct rec_customer c;
    ck_assert(customer_get(f.ctx, NULL, "C2", &c) == UVS_OK);
    ck_assert_int_eq(c.debt, 500);
    ck_assert(!customer_exists(f.ctx, "C9"));
    /* the same directory again: nothing new, nothing refused */
    ck_assert_int_eq(instruct_apply(f.ctx, paths, 1, NULL, &st), UVS_OK);
    ck_assert_uint_eq(st.already, 2);
    /* a file for another kiosk named on its own is refused */
    REFUSED_WITH(&f, po, "not to this kiosk");
    free(p1), free(p2), free(po);
    teardown(&f);
}
END_TEST

START_TEST(forged_untrusted_revoked_expired_are_refused)
{
    struct fixture f;
    setup(&f);
    struct spec s = {{"TEST-1"}, {1}, 0, 0, "customer,*,C2,Two\n"};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    /* forged: one byte of a record changed after signing */
    char *buf = NULL;
    size_t len = 0;
    FILE *in = fopen(p, "r");
    ck_assert_ptr_nonnull(in);
    buf = malloc(4096);
    len = fread(buf, 1, 4096, in);
    fclose(in);
    char *two = strstr(buf, ",Two");
    ck_assert_ptr_nonnull(two);
    two[1] = 'X';
    char *forged;
    ck_assert(asprintf(&forged, "%s/forged.uvi", f.dir) > 0);
    FILE *o = fopen(forged, "w");
    fwrite(buf, 1, len, o);
    fclose(o);
    free(buf);
    REFUSED_WITH(&f, forged, "signature");
    ck_assert(!customer_exists(f.ctx, "C2"));
    /* signed by a key the kiosk does not trust */
    struct hqk stranger;
    hqk_new(&stranger);
    char *ps = build(f.dir, &stranger, &s, "stranger.uvi");
    REFUSED_WITH(&f, ps, "does not trust");
    /* expired */
    struct spec old = {{"TEST-1"}, {1}, (int64_t)time(NULL) - 10 * 86400,
                       (int64_t)time(NULL) - 86400, "customer,*,C2,Two\n"};
    char *pe = build(f.dir, &f.k, &old, "old.uvi");
    REFUSED_WITH(&f, pe, "expired");
    ck_assert_ptr_nonnull(strstr(f.ctx->err.message, "1 of 1"));
    /* revoked: the good file is refused once its key is revoked */
    ck_assert_int_eq(trust_revoke(f.ctx, "HQ"), UVS_OK);
    REFUSED_WITH(&f, p, "revoked");
    ck_assert(!customer_exists(f.ctx, "C2"));
    ck_assert_uint_eq(applied_seq(f.ctx), 0);
    free(p), free(forged), free(ps), free(pe);
    teardown(&f);
}
END_TEST

START_TEST(a_failure_half_way_changes_nothing)
{
    struct fixture f;
    setup(&f);
    /* valid records, then a meter whose customer does not exist */
    struct spec s = {{"TEST-1"}, {1}, 0, 0,
                     "customer,*,C2,Two\n"
                     "tariff,*,RES,Residential,0,1500,0,0,0:200000\n"
                     "blacklist,*,CARD-9,lost\n"
                     "clerk,*,new1,New Clerk,clerk\n"
                     "meter,*,01234567897,STS-EA07,NOBODY,RES,sgc=123456,ti=01,krn=1,kt=2,bdt=2014\n"};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    uint64_t audits_before, audits_after;
    ck_assert(store_counter_peek(&f.ctx->store, NULL, "audit.seq", &audits_before, &f.ctx->err) == UVS_OK);
    ck_assert_int_eq(apply1(f.ctx, p), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(f.ctx->err.message, "1 of 1"));
    ck_assert(!customer_exists(f.ctx, "C2"));
    ck_assert_int_eq(blacklist_contains(f.ctx, NULL, "CARD-9"), 0);
    struct rec_tariff t;
    ck_assert(tariff_get(f.ctx, NULL, "RES", &t) == UVS_OK);
    ck_assert_int_eq(t.price_milli, 150000); /* unchanged */
    struct rec_clerk c;
    ck_assert(store_get_rec(&f.ctx->store, NULL, UV_DB_CLERKS, "new1", 4, &rec_clerk_layout, &c, 0,
                            &f.ctx->err) == UVS_NOTFOUND);
    struct rec_meter m;
    ck_assert(meter_get(f.ctx, NULL, "01234567897", &m, 0) == UVS_OK);
    ck_assert_str_eq(m.customer, "C001");
    ck_assert_uint_eq(applied_seq(f.ctx), 0);
    /* the only trace: one audit record of the refusal, naming the record */
    ck_assert(store_counter_peek(&f.ctx->store, NULL, "audit.seq", &audits_after, &f.ctx->err) == UVS_OK);
    ck_assert_uint_eq(audits_after, audits_before + 1);
    free(p);
    teardown(&f);
}
END_TEST

START_TEST(records_change_master_data)
{
    struct fixture f;
    setup(&f);
    int64_t later = (int64_t)time(NULL) + 3600;
    char recs[1024];
    snprintf(recs, sizeof recs,
             "tariff,*,RES,Residential,%lld,1500,0,0,0:300000\n"
             "tariff,*,NEW,New,0,1500,2000,0,50000:100000 0:200000,250:Street lighting\n"
             "customer,*,C001,Renamed Customer,2 Road,555\n"
             "debt,*,C001,1000,0,200\n"
             "meter,*,01234567897,STS-EA07,C001,NEW,sgc=123456,ti=01,krn=1,kt=2,bdt=2014\n"
             "clerk,*,new1,New Clerk,supervisor\n"
             "clerk-disable,*,new1\n"
             "blacklist,*,CARD-9,lost\n",
             (long long)later);
    struct spec s = {{"TEST-1"}, {1}, 0, 0, recs};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    ck_assert_msg(apply1(f.ctx, p) == UVS_OK, "%s", f.ctx->err.message);
    /* a change from a later date is not in force yet */
    struct rec_tariff t;
    ck_assert(tariff_get(f.ctx, NULL, "RES", &t) == UVS_OK);
    ck_assert_int_eq(t.price_milli, 150000);
    ck_assert(tariff_version_at(f.ctx, NULL, "RES", later, &t, NULL) == UVS_OK);
    ck_assert_int_eq(t.price_milli, 300000);
    ck_assert(tariff_get(f.ctx, NULL, "NEW", &t) == UVS_OK);
    ck_assert_uint_eq(t.n_blocks, 2);
    ck_assert_uint_eq(t.n_levies, 1);
    ck_assert_int_eq(t.fixed_monthly, 2000);
    struct rec_customer c;
    ck_assert(customer_get(f.ctx, NULL, "C001", &c) == UVS_OK);
    ck_assert_str_eq(c.name, "Renamed Customer");
    ck_assert_int_eq(c.debt, 1000);
    ck_assert_int_eq(c.debt_recover_fixed, 200);
    struct rec_meter m;
    ck_assert(meter_get(f.ctx, NULL, "01234567897", &m, 0) == UVS_OK);
    ck_assert_str_eq(m.tariff, "NEW");
    struct rec_clerk k;
    ck_assert(store_get_rec(&f.ctx->store, NULL, UV_DB_CLERKS, "new1", 4, &rec_clerk_layout, &k, 0,
                            &f.ctx->err) == UVS_OK);
    ck_assert_uint_eq(k.disabled, 1);
    ck_assert_uint_eq(k.kdf_iterations, 0); /* no PIN until a supervisor sets one */
    ck_assert_int_eq(blacklist_contains(f.ctx, NULL, "CARD-9"), 1);
    ck_assert_int_eq(blacklist_contains(f.ctx, NULL, "CARD-8"), 0);
    free(p);
    teardown(&f);
}
END_TEST

START_TEST(a_meter_moves_between_kiosks)
{
    struct fixture f;
    setup(&f);
    /* one file for this kiosk and OTHER: the meter now belongs to OTHER */
    struct spec s = {{"OTHER", "TEST-1"}, {4, 1}, 0, 0,
                     "meter,OTHER,01234567897,STS-EA07,C001,RES,sgc=123456,ti=01,krn=1\n"};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    ck_assert_msg(apply1(f.ctx, p) == UVS_OK, "%s", f.ctx->err.message);
    struct rec_meter m;
    ck_assert(meter_get(f.ctx, NULL, "01234567897", &m, 0) == UVS_NOTFOUND);
    char act[32];
    last_audit(f.ctx, act, sizeof act);
    ck_assert_str_eq(act, "instruction.apply");
    free(p);
    teardown(&f);
}
END_TEST

START_TEST(revoking_a_key_by_instruction)
{
    struct fixture f;
    setup(&f);
    struct hqk next;
    hqk_new(&next);
    /* key rotation: the old key trusts the new one and revokes itself */
    char recs[512];
    snprintf(recs, sizeof recs, "trust-add,*,HQ-2,%s\nrevoke-key,*,%s\n", next.hex, f.k.hex);
    struct spec s = {{"TEST-1"}, {1}, 0, 0, recs};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    ck_assert_msg(apply1(f.ctx, p) == UVS_OK, "%s", f.ctx->err.message);
    ck_assert_int_eq(trust_check(f.ctx, NULL, f.k.pub, NULL), UVS_REFUSED);
    ck_assert_int_eq(trust_check(f.ctx, NULL, next.pub, NULL), UVS_OK);
    /* the medium still holds that file, signed by a key now revoked: it is
       recognised as applied, not refused */
    char *paths[1] = {f.dir};
    struct instruct_stats st;
    ck_assert_int_eq(instruct_apply(f.ctx, paths, 1, NULL, &st), UVS_OK);
    ck_assert_uint_eq(st.already, 1);
    struct spec s2 = {{"TEST-1"}, {2}, 0, 0, "customer,*,C2,Two\n"};
    char *old = build(f.dir, &f.k, &s2, "old.uvi"), *new = build(f.dir, &next, &s2, "new.uvi");
    REFUSED_WITH(&f, old, "revoked");
    ck_assert_int_eq(apply1(f.ctx, new), UVS_OK);
    free(p), free(old), free(new);
    teardown(&f);
}
END_TEST

START_TEST(a_clerk_session_cannot_apply)
{
    struct fixture f;
    setup(&f);
    struct spec s = {{"TEST-1"}, {1}, 0, 0, "customer,*,C2,Two\n"};
    char *p = build(f.dir, &f.k, &s, "a.uvi");
    f.ctx->role = 1; /* UV_ROLE_CLERK */
    ck_assert_int_eq(apply1(f.ctx, p), UVS_REFUSED);
    ck_assert(!customer_exists(f.ctx, "C2"));
    free(p);
    teardown(&f);
}
END_TEST

/* ---- the parser alone ------------------------------------------------- */

static uv_status parse_text(const char *text, struct uv_error *e)
{
    struct instr_parsed p;
    return instrfile_parse(text, strlen(text), &p, NULL, NULL, NULL, e);
}

START_TEST(parser_refuses_malformed_files)
{
    struct uv_error e;
    const char *head = "UNIVEND-INSTRUCTION 1\ntarget=kiosk:K1\ncreated=100\nexpires=200\n"
                       "signer=0000000000000000000000000000000000000000000000000000000000000000\n";
    char sig[140] = "SIG,";
    memset(sig + 4, 'a', 128);
    strcpy(sig + 132, "\n");
    struct {
        const char *mid;
        const char *why;
    } cases[] = {
        {"kiosks=1\nrecords=0\n\nK,K1,1\n", NULL},                      /* good */
        {"kiosks=1\nrecords=1\n\nK,K1,1\nnosuch,*,x\n", "unknown"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\ncustomer,*\n", "fields"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\ncustomer,bad scope,C1,N\n", "scope"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\n", "declares"},
        {"kiosks=2\nrecords=0\n\nK,K2,1\nK,K1,1\n", "increasing"},
        {"kiosks=1\nrecords=0\n\nK,K1,0\n", "malformed"},
        {"kiosks=0\nrecords=0\n\n", "malformed"},
        {"kiosks=1\nrecords=50001\n\nK,K1,1\n", "at most 50000"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\ntariff,*,T,N,0,1500,0,0,\n", "block"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\nmeter,*,M1,bad code,C,T\n", "type code"},
        {"kiosks=1\nrecords=1\n\nK,K1,1\ndriver,*,x.so,CODE,00,00\n", "SHA-256"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%s%s%s", head, cases[i].mid, sig);
        uv_status st = parse_text(text, &e);
        if (cases[i].why == NULL) {
            ck_assert_msg(st == UVS_OK, "case %zu: %s", i, e.message);
        } else {
            ck_assert_msg(st == UVS_INPUT, "case %zu accepted", i);
            ck_assert_msg(strstr(e.message, cases[i].why), "case %zu: %s", i, e.message);
        }
    }
    /* cut off anywhere: refused */
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s", head, cases[0].mid, sig);
    for (size_t n = 0; n < strlen(text); n += 7)
        ck_assert(instrfile_parse(text, n, &(struct instr_parsed){0}, NULL, NULL, NULL, &e) ==
                  UVS_INPUT);
}
END_TEST

START_TEST(every_kind_is_in_the_table_once)
{
    size_t n;
    const struct instr_kind *k = instr_kinds(&n);
    ck_assert_uint_ge(n, 14);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_eq(instr_kind_find(k[i].name), &k[i]);
        ck_assert(k[i].check && k[i].apply && k[i].min_fields <= k[i].max_fields);
        ck_assert_uint_le(k[i].max_fields + 2, INSTR_FIELDS_MAX);
    }
    ck_assert_ptr_null(instr_kind_find("credit-nope"));
}
END_TEST

Suite *instruct_suite(void)
{
    Suite *s = suite_create("instruct");
    TCase *tc = tcase_create("apply");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, applies_in_order_exactly_once);
    tcase_add_test(tc, a_directory_is_applied_in_sequence_order);
    tcase_add_test(tc, forged_untrusted_revoked_expired_are_refused);
    tcase_add_test(tc, a_failure_half_way_changes_nothing);
    tcase_add_test(tc, records_change_master_data);
    tcase_add_test(tc, a_meter_moves_between_kiosks);
    tcase_add_test(tc, revoking_a_key_by_instruction);
    tcase_add_test(tc, a_clerk_session_cannot_apply);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("parse");
    tcase_add_test(tp, parser_refuses_malformed_files);
    tcase_add_test(tp, every_kind_is_in_the_table_once);
    suite_add_tcase(s, tp);
    return s;
}
