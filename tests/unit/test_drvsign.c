/*
 * test_drvsign.c — head office signs driver files (driver_sign) and a kiosk
 * checks a signature against its trust list (driver_signature_verify and
 * _check), on real stores: a head office and a kiosk, each a temp kiosk
 * directory with its own Berkeley DB environment and key store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "digest.h"
#include "drvsign.h"
#include "ed25519.h"
#include "hqkey.h"
#include "testutil.h"
#include "trust.h"

#define has(hay, needle) \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in \"%s\"", (needle), (hay))

struct pair {
    struct uv_ctx *hq, *kiosk;
    uint8_t pub[32];
    char hex[65];
    char dir[4200]; /* a scratch directory inside the head office's temp dir */
};

/* Head office with its key; a kiosk that trusts it as HQ-1. */
static void pair_new(struct pair *p)
{
    p->hq = tu_kiosk_new();
    p->kiosk = tu_kiosk_new();
    ck_assert_int_eq(hqkey_generate(p->hq, p->pub), UVS_OK);
    digest_hex(p->pub, 32, p->hex);
    ck_assert_int_eq(trust_add(p->kiosk, "HQ-1", p->hex), UVS_OK);
    snprintf(p->dir, sizeof p->dir, "%s", p->hq->home);
    strcpy(strrchr(p->dir, '/'), "/files");
    ck_assert_int_eq(mkdir(p->dir, 0755), 0);
}

static void pair_free(struct pair *p)
{
    tu_kiosk_free(p->hq);
    tu_kiosk_free(p->kiosk);
}

/* A copy of a build driver in the scratch directory; its path in out. */
static void driver_copy(struct pair *p, const char *name, char *out, size_t cap)
{
    char from[4300];
    snprintf(from, sizeof from, "%s/%s", tu_test_driver_dir(), name);
    ck_assert_int_lt(snprintf(out, cap, "%s/%s", p->dir, name), (int)cap);
    tu_copy(from, out);
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static unsigned audits(struct uv_ctx *ctx, const char *action)
{
    uint64_t n = 0;
    ck_assert_int_eq(audit_verify(ctx, &n), UVS_OK);
    unsigned hits = 0;
    for (uint64_t i = 1; i <= n; i++) {
        uint8_t k[8];
        struct rec_audit a;
        rec_u64_key(i, k);
        ck_assert_int_eq(store_get_rec(&ctx->store, NULL, UV_DB_AUDIT, k, 8, &rec_audit_layout,
                                       &a, 0, &ctx->err),
                         UVS_OK);
        hits += strcmp(a.action, action) == 0;
    }
    return hits;
}

START_TEST(sign_writes_a_verifiable_signature)
{
    struct pair p;
    char so[4300], sig[4400], text[DRVSIG_MAX + 2], bytes[1 << 17];
    struct drvsig d;
    pair_new(&p);
    driver_copy(&p, "good_a.so", so, sizeof so);
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    ck_assert_int_eq(driver_sign(p.hq, so, &o, f), UVS_OK);
    fclose(f);
    has(out, "signed good_a.so (good-a 1.0.0, codes TST-A1,TST-A2, sha256 ");
    char k16[32];
    snprintf(k16, sizeof k16, "key %.16s...", p.hex);
    has(out, k16); /* names the key */
    free(out);
    snprintf(sig, sizeof sig, "%s.sig", so);
    size_t tl = slurp(sig, text, sizeof text);
    size_t bl = slurp(so, bytes, sizeof bytes);
    ck_assert_int_eq(driver_signature_verify(p.kiosk, bytes, bl, text, tl, "good_a.so", &d),
                     UVS_OK);
    ck_assert_str_eq(d.driver, "good-a");
    ck_assert_str_eq(d.version, "1.0.0");
    ck_assert_uint_eq(d.n_codes, 2);
    ck_assert_mem_eq(d.signer, p.pub, 32);
    ck_assert_uint_eq(d.size, bl);
    uint8_t h[32];
    digest_sha256(bytes, bl, h);
    ck_assert_mem_eq(d.sha256, h, 32);
    ck_assert_int_eq(driver_signature_check(p.kiosk, NULL, h, text, tl, "good_a.so", &d), UVS_OK);
    ck_assert_uint_eq(audits(p.hq, "driver.sign"), 1);
    /* only --codes: a subset of what the driver serves */
    o.codes = "TST-A2";
    o.out = sig;
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_OK);
    tl = slurp(sig, text, sizeof text);
    has(text, "\ncodes: TST-A2\n");
    o.codes = "TST-A2,TST-ZZ";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_INPUT);
    has(p.hq->err.message, "does not serve type code TST-ZZ");
    ck_assert_uint_eq(audits(p.hq, "driver.sign"), 2);
    pair_free(&p);
}
END_TEST

START_TEST(sign_without_running_needs_all_three)
{
    struct pair p;
    char so[4300], sig[4400], text[DRVSIG_MAX + 2];
    pair_new(&p);
    driver_copy(&p, "crash_on_load.so", so, sizeof so);
    snprintf(sig, sizeof sig, "%s.sig", so);
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    /* probed: it crashes, so head office does not sign it */
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_DRIVER);
    has(p.hq->err.message, "crashed while loading");
    has(p.hq->err.message, "not signed");
    ck_assert_int_eq(access(sig, F_OK), -1);
    /* half the statement is a usage error */
    o.name = "acme";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_USAGE);
    o.version = "2.0";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_USAGE);
    o.codes = "lower";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_INPUT);
    ck_assert_int_eq(access(sig, F_OK), -1);
    ck_assert_uint_eq(audits(p.hq, "driver.sign"), 0);
    /* all three: signed as stated, the file never run */
    o.codes = "ACME-1,ACME-2";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_OK);
    slurp(sig, text, sizeof text);
    has(text, "\ndriver: acme\nversion: 2.0\ncodes: ACME-1,ACME-2\n");
    ck_assert_uint_eq(audits(p.hq, "driver.sign"), 1);
    pair_free(&p);
}
END_TEST

START_TEST(sign_needs_the_head_office_key_and_writes_whole)
{
    struct pair p;
    char so[4300], sig[4400];
    pair_new(&p);
    driver_copy(&p, "good_a.so", so, sizeof so);
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    /* a store with no head office key: nothing signed */
    ck_assert_int_eq(driver_sign(p.kiosk, so, &o, NULL), UVS_NOTFOUND);
    has(p.kiosk->err.message, "hq keygen");
    snprintf(sig, sizeof sig, "%s.sig", so);
    ck_assert_int_eq(access(sig, F_OK), -1);
    /* a place that cannot be written: a clear message, no audit record */
    o.out = "/nonexistent-dir/x.sig";
    ck_assert_int_eq(driver_sign(p.hq, so, &o, NULL), UVS_IO);
    has(p.hq->err.message, "cannot");
    ck_assert_uint_eq(audits(p.hq, "driver.sign"), 0);
    /* a file that is not there */
    o.out = NULL;
    ck_assert_int_eq(driver_sign(p.hq, "/nonexistent.so", &o, NULL), UVS_NOTFOUND);
    pair_free(&p);
}
END_TEST

/* Sign so and read its signature into text; returns the length. */
static size_t sign_read(struct pair *p, const char *so, char *text, size_t cap)
{
    char sig[4400];
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    ck_assert_int_eq(driver_sign(p->hq, so, &o, NULL), UVS_OK);
    snprintf(sig, sizeof sig, "%s.sig", so);
    return slurp(sig, text, cap);
}

START_TEST(kiosk_refusals)
{
    struct pair p;
    char so[4300], text[DRVSIG_MAX + 2], t2[DRVSIG_MAX + 2], bytes[1 << 17];
    struct drvsig d;
    pair_new(&p);
    driver_copy(&p, "good_a.so", so, sizeof so);
    size_t tl = sign_read(&p, so, text, sizeof text);
    size_t bl = slurp(so, bytes, sizeof bytes);
    struct uv_ctx *k = p.kiosk;

    /* other bytes (one changed, one more) */
    bytes[100] ^= 1;
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, text, tl, "a.so", &d), UVS_REFUSED);
    has(k->err.message, "driver a.so does not match its signature (SHA-256 differs)");
    bytes[100] ^= 1;
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl - 1, text, tl, "a.so", &d),
                     UVS_REFUSED);
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, text, tl, "a.so", &d), UVS_OK);

    /* a text edited after signing: another code approved */
    memcpy(t2, text, tl + 1);
    char *c = strstr(t2, "TST-A2");
    ck_assert_ptr_nonnull(c);
    c[5] = '9';
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, t2, tl, "a.so", &d), UVS_REFUSED);
    has(k->err.message, "the signature of driver a.so does not verify under head office key HQ-1");

    /* not a signature at all */
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, "hello\n", 6, "a.so", &d),
                     UVS_REFUSED);
    has(k->err.message, "the signature of driver a.so is not a valid driver signature (line 1");

    /* signed by a key this kiosk never trusted */
    struct uv_ctx *rogue = tu_kiosk_new();
    uint8_t rpub[32];
    ck_assert_int_eq(hqkey_generate(rogue, rpub), UVS_OK);
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    ck_assert_int_eq(driver_sign(rogue, so, &o, NULL), UVS_OK);
    char sig[4400];
    snprintf(sig, sizeof sig, "%s.sig", so);
    size_t rl = slurp(sig, t2, sizeof t2);
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, t2, rl, "a.so", &d), UVS_REFUSED);
    has(k->err.message, "driver a.so refused: signed by key ");
    has(k->err.message, "which this kiosk does not trust");
    tu_kiosk_free(rogue);

    /* head office's key, revoked */
    ck_assert_int_eq(trust_revoke(k, "HQ-1"), UVS_OK);
    ck_assert_int_eq(driver_signature_verify(k, bytes, bl, text, tl, "a.so", &d), UVS_REFUSED);
    has(k->err.message, "driver a.so refused: signed by head office key HQ-1");
    has(k->err.message, "revoked");
    pair_free(&p);
}
END_TEST

/* A signature whose size line lies (head office signed a wrong size): the
   bytes still match the SHA-256, the size does not. */
START_TEST(size_must_match)
{
    struct pair p;
    char body[DRVSIG_MAX + 1], text[DRVSIG_MAX + 1], bytes[64];
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX], pub[32];
    size_t ml;
    struct drvsig d, got;
    pair_new(&p);
    memset(bytes, 7, sizeof bytes);
    memset(&d, 0, sizeof d);
    strcpy(d.driver, "x");
    strcpy(d.version, "1");
    ck_assert_int_eq(drvsig_set_codes(&d, "X-1"), 0);
    digest_sha256(bytes, sizeof bytes, d.sha256);
    d.size = sizeof bytes + 1;
    memcpy(d.signer, p.pub, 32);
    size_t bl = drvsig_body(&d, body, sizeof body, &p.hq->err);
    drvsig_message(body, bl, msg, &ml);
    ck_assert_int_eq(hqkey_sign(p.hq, msg, ml, d.sig, pub), UVS_OK);
    size_t tl = drvsig_format(&d, text, sizeof text, &p.hq->err);
    ck_assert_int_eq(driver_signature_verify(p.kiosk, bytes, sizeof bytes, text, tl, "x.so", &got),
                     UVS_REFUSED);
    has(p.kiosk->err.message, "driver x.so is 64 bytes but its signature says 65");
    pair_free(&p);
}
END_TEST

START_TEST(read_refuses_what_is_not_a_signature)
{
    struct pair p;
    char path[4400], buf[DRVSIG_MAX + 2];
    size_t len = 0;
    pair_new(&p);
    snprintf(path, sizeof path, "%s/none.sig", p.dir);
    ck_assert_int_eq(driver_signature_read(p.kiosk, path, buf, sizeof buf, &len), UVS_NOTFOUND);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < DRVSIG_MAX + 1; i++)
        fputc('a', f);
    fclose(f);
    ck_assert_int_eq(driver_signature_read(p.kiosk, path, buf, sizeof buf, &len), UVS_INPUT);
    has(p.kiosk->err.message, "is not a driver signature");
    ck_assert_int_eq(driver_signature_read(p.kiosk, p.dir, buf, sizeof buf, &len), UVS_INPUT);
    pair_free(&p);
}
END_TEST

Suite *drvsign_suite(void)
{
    Suite *s = suite_create("drvsign");
    TCase *tc = tcase_create("drvsign");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sign_writes_a_verifiable_signature);
    tcase_add_test(tc, sign_without_running_needs_all_three);
    tcase_add_test(tc, sign_needs_the_head_office_key_and_writes_whole);
    tcase_add_test(tc, kiosk_refusals);
    tcase_add_test(tc, size_must_match);
    tcase_add_test(tc, read_refuses_what_is_not_a_signature);
    suite_add_tcase(s, tc);
    return s;
}
