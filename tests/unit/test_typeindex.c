/*
 * test_typeindex.c — unit tests of src/typeindex.c: registering drivers for
 * meter type codes, listing, removing, verifying, scanning, checking, and the
 * sale-time match with its tamper checks.
 *
 * Every test runs on a real temp kiosk (tu_kiosk_new) whose driver directory
 * is a private temp directory (next to the kiosk, removed with it) holding
 * copies of just the drivers the test needs: tamper tests overwrite those
 * copies, never the build's files. Drivers that crash or hang while loading
 * only ever reach the child-process probe of register/check/scan.
 *
 * Exposes typeindex_suite().
 */
#include <check.h>
#include <errno.h>
#include <gcrypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#include "audit.h"
#include "digest.h"
#include "drvsign.h"
#include "hqkey.h"
#include "testutil.h"
#include "trust.h"
#include "typeindex.h"

#define assert_has(hay, needle)                                                            \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in \"%s\"", (needle),  \
                  (hay))
#define assert_lacks(hay, needle)                                                          \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect \"%s\" in \"%s\"",      \
                  (needle), (hay))

/* ---- fixtures -------------------------------------------------------- */

/* Kiosks a test has open, so the teardown can close what a failed assertion
   left open: with CK_FORK=no a context with its drivers still loaded would
   otherwise outlive its test. */
static struct uv_ctx *g_live[4];

static struct uv_ctx *track(struct uv_ctx *ctx)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++) {
        if (g_live[i] == NULL) {
            g_live[i] = ctx;
            return ctx;
        }
    }
    ck_abort_msg("too many kiosks open in one test");
    return NULL;
}

/* Close a kiosk and remove its directory (and its private drivers). */
static void done(struct uv_ctx *ctx)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++)
        if (g_live[i] == ctx)
            g_live[i] = NULL;
    tu_kiosk_free(ctx);
}

static void kiosk_setup(void)
{
    memset(g_live, 0, sizeof g_live);
}

static void caps_release_all(void);

static void kiosk_teardown(void)
{
    for (size_t i = 0; i < sizeof g_live / sizeof g_live[0]; i++)
        if (g_live[i])
            done(g_live[i]);
    caps_release_all();
}

/* A fresh kiosk whose driver directory is an empty private directory
   (KIOSK_PARENT/drivers, removed by tu_kiosk_free). */
static struct uv_ctx *kiosk(void)
{
    struct uv_ctx *ctx = track(tu_kiosk_new());
    char dir[sizeof ctx->cfg.driver_dir];
    snprintf(dir, sizeof dir, "%s", ctx->home);
    char *slash = strrchr(dir, '/');
    ck_assert_ptr_nonnull(slash);
    ck_assert_int_lt((int)(slash - dir) + 9, (int)sizeof dir);
    strcpy(slash, "/drivers");
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", dir);
    return ctx;
}

static void priv_path(const struct uv_ctx *ctx, const char *name, char *buf, size_t cap)
{
    ck_assert_int_lt(snprintf(buf, cap, "%s/%s", ctx->cfg.driver_dir, name), (int)cap);
}

static void build_path(const char *name, char *buf, size_t cap)
{
    ck_assert_int_lt(snprintf(buf, cap, "%s/%s", tu_test_driver_dir(), name), (int)cap);
}

/* Copy test driver `name` into the kiosk's driver directory as `as`,
   signed by the test head office (AS.sig beside it), as a kiosk receives
   its drivers. */
static void put_as(struct uv_ctx *ctx, const char *name, const char *as)
{
    char from[PATH_MAX], to[PATH_MAX];
    build_path(name, from, sizeof from);
    priv_path(ctx, as, to, sizeof to);
    tu_copy(from, to);
    tu_sign_driver(ctx, to);
}

static void put(struct uv_ctx *ctx, const char *name)
{
    put_as(ctx, name, name);
}

/* The same for a deliberately broken driver, which head office cannot run
   to read its descriptor: it signs it as it would a driver for another
   processor, stating a name, version and code. Its own defect is then what
   the kiosk refuses it for. */
static void put_broken_as(struct uv_ctx *ctx, const char *name, const char *as)
{
    char from[PATH_MAX], to[PATH_MAX];
    build_path(name, from, sizeof from);
    priv_path(ctx, as, to, sizeof to);
    tu_copy(from, to);
    tu_sign_driver_as(ctx, to, "broken", "0", "TST-X1");
}

static void put_broken(struct uv_ctx *ctx, const char *name)
{
    put_broken_as(ctx, name, name);
}

/* Head office's signature for a file the test wrote into the driver
   directory (not a driver at all). */
static void sign_written(struct uv_ctx *ctx, const char *path)
{
    tu_sign_driver_as(ctx, path, "not-a-driver", "0", "TST-X1");
}

static void write_file(const char *path, const void *data, size_t len, const char *mode)
{
    FILE *f = fopen(path, mode);
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    if (len)
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Tamper with a driver the way a bad upgrade or an attacker would: the file
   still loads (trailing bytes are ignored by ld.so) but its hash changes. */
static void append_byte(const struct uv_ctx *ctx, const char *name)
{
    char p[PATH_MAX];
    priv_path(ctx, name, p, sizeof p);
    write_file(p, "\n", 1, "ab");
}

static void file_sha256(const char *path, uint8_t out[32])
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    gcry_md_hd_t h;
    ck_assert_int_eq(gcry_md_open(&h, GCRY_MD_SHA256, 0), 0);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        gcry_md_write(h, buf, n);
    fclose(f);
    memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
}

/* Output captured in memory. The streams and buffers live in a static pool
   (not on the test's stack, which a failed assertion abandons), and the
   teardown releases whatever a failed test left: with CK_FORK=no a leak
   would outlive the test, and under valgrind every later probe child would
   inherit it and exit with valgrind's error status. */
struct capbuf {
    FILE *f;
    char *buf;
    size_t len;
    int used;
};
static struct capbuf g_caps[8];

struct capture {
    struct capbuf *p;
};

static FILE *cap_open(struct capture *c)
{
    c->p = NULL;
    for (size_t i = 0; i < sizeof g_caps / sizeof g_caps[0] && !c->p; i++)
        if (!g_caps[i].used)
            c->p = &g_caps[i];
    ck_assert_ptr_nonnull(c->p);
    c->p->used = 1;
    c->p->buf = NULL;
    c->p->len = 0;
    c->p->f = open_memstream(&c->p->buf, &c->p->len);
    ck_assert_ptr_nonnull(c->p->f);
    return c->p->f;
}

/* Close the stream; the text stays until cap_free. */
static const char *cap_text(struct capture *c)
{
    FILE *f = c->p->f;
    c->p->f = NULL;
    ck_assert_int_eq(fclose(f), 0);
    return c->p->buf;
}

static void capbuf_release(struct capbuf *b)
{
    if (b->f)
        fclose(b->f);
    free(b->buf);
    memset(b, 0, sizeof *b);
}

static void cap_free(struct capture *c)
{
    capbuf_release(c->p);
}

static void caps_release_all(void)
{
    for (size_t i = 0; i < sizeof g_caps / sizeof g_caps[0]; i++)
        if (g_caps[i].used)
            capbuf_release(&g_caps[i]);
}

/* ---- reading the databases directly ---------------------------------- */

static int count_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    ++*(unsigned *)arg;
    return 0;
}

static unsigned n_entries(struct uv_ctx *ctx)
{
    unsigned n = 0;
    ck_assert_int_eq(store_iterate(&ctx->store, NULL, UV_DB_TYPEIDX, NULL, 0, 0, count_one, &n,
                                   &ctx->err),
                     UVS_OK);
    return n;
}

static uv_status get_entry(struct uv_ctx *ctx, const char *code, struct rec_typeidx *e)
{
    struct uv_error err = {0};
    return store_get_rec(&ctx->store, NULL, UV_DB_TYPEIDX, code, strlen(code),
                         &rec_typeidx_layout, e, 0, &err);
}

struct audit_query {
    const char *action, *subject, *detail; /* NULL: any */
    unsigned n;
    char last_detail[256];
};

static int audit_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct audit_query *q = arg;
    struct rec_audit a;
    (void)k;
    (void)kl;
    ck_assert_int_eq(rec_decode(&rec_audit_layout, v, vl, &a), 0);
    if ((q->action == NULL || strcmp(a.action, q->action) == 0) &&
        (q->subject == NULL || strcmp(a.subject, q->subject) == 0) &&
        (q->detail == NULL || strstr(a.detail, q->detail) != NULL)) {
        q->n++;
        snprintf(q->last_detail, sizeof q->last_detail, "%s", a.detail);
    }
    return 0;
}

/* Number of audit records matching action/subject/detail substring. */
static unsigned n_audit(struct uv_ctx *ctx, const char *action, const char *subject,
                        const char *detail)
{
    struct audit_query q = {action, subject, detail, 0, ""};
    ck_assert_int_eq(
        store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 0, audit_one, &q, &ctx->err),
        UVS_OK);
    return q.n;
}

static void register_ok(struct uv_ctx *ctx, const char *file, const char *codes)
{
    uv_status st = typeindex_register(ctx, file, codes, NULL);
    ck_assert_msg(st == UVS_OK, "register %s: %s", file, ctx->err.message);
}

/* ---- register and list ---------------------------------------------- */

START_TEST(test_register_and_list)
{
    struct uv_ctx *ctx = kiosk();
    struct capture out;
    char p[PATH_MAX], hex[65];
    uint8_t want[32];
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so", p, sizeof p);
    file_sha256(p, want);
    digest_hex(want, 32, hex);

    int64_t t0 = (int64_t)time(NULL);
    uv_status st = typeindex_register(ctx, "good_a.so", NULL, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "register: %s", ctx->err.message);
    assert_has(text, "registered TST-A1          -> good_a.so (good-a 1.0.0, signed by head office)\n");
    assert_has(text, "registered TST-A2          -> good_a.so (good-a 1.0.0, signed by head office)\n");
    cap_free(&out);

    ck_assert_uint_eq(n_entries(ctx), 2);
    static const char *const codes[] = {"TST-A1", "TST-A2"};
    for (int i = 0; i < 2; i++) {
        struct rec_typeidx e;
        ck_assert_int_eq(get_entry(ctx, codes[i], &e), UVS_OK);
        ck_assert_str_eq(e.code, codes[i]);
        ck_assert_str_eq(e.file, "good_a.so");
        ck_assert_str_eq(e.driver, "good-a");
        ck_assert_str_eq(e.version, "1.0.0");
        ck_assert_str_eq(e.vendor, "univend tests");
        ck_assert_mem_eq(e.sha256, want, 32);
        ck_assert_str_eq(e.registered_by, "tester");
        ck_assert_int_ge(e.registered_at, t0);
        ck_assert_int_le(e.registered_at, (int64_t)time(NULL));
        char detail[200];
        snprintf(detail, sizeof detail, "good_a.so good-a 1.0.0 sha256=%s", hex);
        ck_assert_uint_eq(n_audit(ctx, "driver.register", codes[i], detail), 1);
    }
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", NULL, NULL), 0);

    /* list, now and after reopening the kiosk */
    for (int round = 0; round < 2; round++) {
        st = typeindex_list(ctx, cap_open(&out));
        text = cap_text(&out);
        ck_assert_int_eq(st, UVS_OK);
        ck_assert_msg(strncmp(text, "TYPE CODE", 9) == 0, "list header: %s", text);
        char line[256];
        snprintf(line, sizeof line, "TST-A1          good_a.so              good-a     1.0.0    %.16s",
                 hex);
        assert_has(text, line);
        snprintf(line, sizeof line, "TST-A2          good_a.so              good-a     1.0.0    %.16s",
                 hex);
        assert_has(text, line);
        assert_has(text, "by tester\n");
        cap_free(&out);
        if (round == 0)
            tu_kiosk_reopen(ctx);
    }
    done(ctx);
}
END_TEST

START_TEST(test_list_empty)
{
    struct uv_ctx *ctx = kiosk();
    struct capture out;
    ck_assert_int_eq(typeindex_list(ctx, cap_open(&out)), UVS_OK);
    const char *text = cap_text(&out);
    assert_has(text, "TYPE CODE");
    ck_assert_ptr_null(strchr(strchr(text, '\n') + 1, '\n')); /* the header only */
    cap_free(&out);
    done(ctx);
}
END_TEST

START_TEST(test_register_subset)
{
    struct uv_ctx *ctx = kiosk();
    struct rec_typeidx e;
    put(ctx, "good_a.so");

    /* a code the driver does not serve: nothing registered */
    ck_assert_int_eq(typeindex_register(ctx, "good_a.so", "TST-ZZ", NULL), UVS_INPUT);
    assert_has(ctx->err.message, "driver good-a does not serve type code TST-ZZ");
    ck_assert_int_eq(typeindex_register(ctx, "good_a.so", "TST-A1,TST-ZZ", NULL), UVS_INPUT);
    assert_has(ctx->err.message, "TST-ZZ");
    ck_assert_uint_eq(n_entries(ctx), 0);
    /* an empty selection */
    ck_assert_int_eq(typeindex_register(ctx, "good_a.so", "", NULL), UVS_INPUT);
    assert_has(ctx->err.message, "no type code selected");
    ck_assert_uint_eq(n_entries(ctx), 0);

    /* one of the two */
    register_ok(ctx, "good_a.so", "TST-A2");
    ck_assert_uint_eq(n_entries(ctx), 1);
    ck_assert_int_eq(get_entry(ctx, "TST-A2", &e), UVS_OK);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_NOTFOUND);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-A1", NULL), 0);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-A2", NULL), 1);

    /* then the other: both */
    register_ok(ctx, "good_a.so", "TST-A1");
    ck_assert_uint_eq(n_entries(ctx), 2);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    done(ctx);
}
END_TEST

START_TEST(test_register_duplicate)
{
    struct uv_ctx *ctx = kiosk();
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    put(ctx, "dup_a.so");
    register_ok(ctx, "good_a.so", NULL);
    uint8_t before[32];
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    memcpy(before, e.sha256, 32);

    /* dup_a claims TST-D1 and TST-A1: refused, and TST-D1 not half-done */
    uv_status st = typeindex_register(ctx, "dup_a.so", NULL, NULL);
    ck_assert_int_eq(st, UVS_EXISTS);
    assert_has(ctx->err.message,
               "type code TST-A1 is already served by driver good-a (good_a.so); remove it first");
    ck_assert_uint_eq(n_entries(ctx), 2);
    ck_assert_int_eq(get_entry(ctx, "TST-D1", &e), UVS_NOTFOUND);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    ck_assert_str_eq(e.driver, "good-a");
    ck_assert_mem_eq(e.sha256, before, 32);
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", "dup_a.so", "already served"), 1);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-D1", NULL), 0);

    /* asking for TST-A1 explicitly: the same refusal */
    ck_assert_int_eq(typeindex_register(ctx, "dup_a.so", "TST-A1", NULL), UVS_EXISTS);
    /* asking only for the code nobody serves: fine */
    register_ok(ctx, "dup_a.so", "TST-D1");
    ck_assert_int_eq(get_entry(ctx, "TST-D1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "dup_a.so");
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    ck_assert_uint_eq(n_entries(ctx), 3);

    /* the very same driver under another file name is another file */
    put_as(ctx, "good_a.so", "good_a_copy.so");
    ck_assert_int_eq(typeindex_register(ctx, "good_a_copy.so", NULL, NULL), UVS_EXISTS);
    ck_assert_int_eq(get_entry(ctx, "TST-A2", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    done(ctx);
}
END_TEST

START_TEST(test_reregister)
{
    struct uv_ctx *ctx = kiosk();
    struct rec_typeidx e;
    struct uv_loaded *drv;
    char p[PATH_MAX];
    uint8_t h1[32], h2[32];
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so", p, sizeof p);
    file_sha256(p, h1);
    register_ok(ctx, "good_a.so", NULL);
    /* the same file again: accepted, unchanged */
    register_ok(ctx, "good_a.so", NULL);
    ck_assert_uint_eq(n_entries(ctx), 2);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_mem_eq(e.sha256, h1, 32);

    /* an upgrade: the file changes; until it is registered again it is
       refused, afterwards the new hash is the one that counts */
    append_byte(ctx, "good_a.so");
    file_sha256(p, h2);
    ck_assert_mem_ne(h1, h2, 32);
    tu_kiosk_reopen(ctx);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &drv, &e), UVS_REFUSED);
    /* the new file needs head office's signature of its own */
    ck_assert_int_eq(typeindex_register(ctx, "good_a.so", NULL, NULL), UVS_REFUSED);
    assert_has(ctx->err.message, "does not match its signature (SHA-256 differs)");
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", "good_a.so", "does not match its signature"), 1);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_mem_eq(e.sha256, h1, 32);
    tu_sign_driver(ctx, p);
    register_ok(ctx, "good_a.so", NULL);
    ck_assert_uint_eq(n_entries(ctx), 2);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_mem_eq(e.sha256, h2, 32);
    ck_assert_int_eq(get_entry(ctx, "TST-A2", &e), UVS_OK);
    ck_assert_mem_eq(e.sha256, h2, 32);
    char hex[65], detail[100];
    digest_hex(h2, 32, hex);
    snprintf(detail, sizeof detail, "sha256=%s", hex);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-A1", detail), 1);
    tu_kiosk_reopen(ctx);
    uv_status st = typeindex_match(ctx, "TST-A1", &drv, &e);
    ck_assert_msg(st == UVS_OK, "match after re-registering: %s", ctx->err.message);
    ck_assert_mem_eq(drv->sha256, h2, 32);
    done(ctx);
}
END_TEST

/* ---- refusals at registration ----------------------------------------- */

#define CRASHED "driver crashed while loading"

/* What the refusal of a crashing driver says. Under valgrind the probe's
   child spends longer than the probe's time limit (UV_PROBE_TIMEOUT_MS) in
   valgrind's exit-time leak check before it dies, so the probe calls it
   hung; either way it is refused, which is what matters. */
static const char *crash_reason(const char *msg)
{
    if (UNDER_VALGRIND() && strstr(msg, "driver hung while loading"))
        return "driver hung while loading";
    return CRASHED;
}

static void expect_register_refused(struct uv_ctx *ctx, const char *file, uv_status want,
                                    const char *reason)
{
    unsigned refusals = n_audit(ctx, "driver.refused", file, NULL);
    struct capture out;
    uv_status st = typeindex_register(ctx, file, NULL, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == want, "register %s: got %d (%s), want %d", file, st, ctx->err.message,
                  want);
    ck_assert_int_eq(ctx->err.status, want);
    if (strcmp(reason, CRASHED) == 0)
        reason = crash_reason(ctx->err.message);
    assert_has(ctx->err.message, reason);
    ck_assert_str_eq(text, ""); /* nothing claimed to be registered */
    cap_free(&out);
    ck_assert_uint_eq(n_entries(ctx), 0);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", NULL, NULL), 0);
    if (want == UVS_DRIVER)
        ck_assert_uint_eq(n_audit(ctx, "driver.refused", file, reason), refusals + 1);
}

START_TEST(test_register_bad_drivers)
{
    static const struct {
        const char *file, *reason;
    } cases[] = {
        {"wrong_abi.so", "wrong ABI version: driver is 2."},
        {"bad_magic.so", "descriptor magic is wrong"},
        {"no_entry.so", "missing symbol univend_driver_entry"},
        {"null_desc.so", "returned no descriptor"},
        {"small_struct.so", "descriptor is too small"},
        {"no_codes.so", "claims no meter type codes"},
        {"bad_code.so", "type code #2 is invalid"},
        {"long_code.so", "type code #1 is invalid"},
        {"missing_fn.so", "required function issue_credit is missing"},
        {"token_no_decode.so", "must offer decode_token"},
        {"crash_on_load.so", CRASHED},
        {"crash_in_entry.so", CRASHED},
        {"exit_on_load.so", CRASHED},
        {"selftest_fail.so", "self test failed"},
    };
    struct uv_ctx *ctx = kiosk();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put_broken(ctx, cases[i].file);
        expect_register_refused(ctx, cases[i].file, UVS_DRIVER, cases[i].reason);
        ck_assert_msg(strncmp(ctx->err.message, cases[i].file, strlen(cases[i].file)) == 0,
                      "the refusal names the file: %s", ctx->err.message);
    }
    done(ctx);
}
END_TEST

START_TEST(test_register_not_drivers)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], src[PATH_MAX];
    priv_path(ctx, "text.so", p, sizeof p);
    write_file(p, "this is not a driver\n", 21, "wb");
    sign_written(ctx, p);
    expect_register_refused(ctx, "text.so", UVS_DRIVER, "not an ELF shared object");

    priv_path(ctx, "empty.so", p, sizeof p);
    write_file(p, "", 0, "wb");
    sign_written(ctx, p);
    expect_register_refused(ctx, "empty.so", UVS_DRIVER, "not an ELF shared object");

    /* a real driver cut short */
    build_path("good_a.so", src, sizeof src);
    FILE *f = fopen(src, "rb");
    ck_assert_ptr_nonnull(f);
    char head[200];
    ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    priv_path(ctx, "truncated.so", p, sizeof p);
    write_file(p, head, sizeof head, "wb");
    sign_written(ctx, p);
    expect_register_refused(ctx, "truncated.so", UVS_DRIVER, "truncated");

    /* the driver directory itself, and a subdirectory */
    priv_path(ctx, "sub.so", p, sizeof p);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    expect_register_refused(ctx, "sub.so", UVS_DRIVER, "not a regular file");
    expect_register_refused(ctx, ".", UVS_REFUSED, "not in the driver directory");

    /* a file that is not there */
    expect_register_refused(ctx, "nonesuch.so", UVS_NOTFOUND, "nonesuch.so");
    expect_register_refused(ctx, "", UVS_USAGE, "no driver file given");
    done(ctx);
}
END_TEST

START_TEST(test_register_hang)
{
    struct uv_ctx *ctx = kiosk();
    put_broken(ctx, "hang_on_load.so");
    time_t t0 = time(NULL);
    expect_register_refused(ctx, "hang_on_load.so", UVS_DRIVER, "driver hung while loading");
    ck_assert_int_le(time(NULL) - t0, typeindex_time_limit_ms() / 1000 + 5);

    /* the limit can be set for a driver under a debugger; nonsense is ignored */
    char *saved = getenv("UNIVEND_DRIVER_TIME_LIMIT_MS");
    saved = saved ? strdup(saved) : NULL;
    setenv("UNIVEND_DRIVER_TIME_LIMIT_MS", "300", 1);
    put_broken_as(ctx, "hang_on_load.so", "hang_again.so");
    expect_register_refused(ctx, "hang_again.so", UVS_DRIVER, "(no answer in 300 ms)");
    setenv("UNIVEND_DRIVER_TIME_LIMIT_MS", "5x", 1);
    ck_assert_int_eq(typeindex_time_limit_ms(), UV_PROBE_TIMEOUT_MS);
    setenv("UNIVEND_DRIVER_TIME_LIMIT_MS", "99", 1);
    ck_assert_int_eq(typeindex_time_limit_ms(), UV_PROBE_TIMEOUT_MS);
    if (saved)
        setenv("UNIVEND_DRIVER_TIME_LIMIT_MS", saved, 1);
    else
        unsetenv("UNIVEND_DRIVER_TIME_LIMIT_MS");
    free(saved);
    done(ctx);
}
END_TEST

START_TEST(test_register_outside)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], link[PATH_MAX];
    /* the build's copy is outside this kiosk's driver directory */
    build_path("good_a.so", p, sizeof p);
    expect_register_refused(ctx, p, UVS_REFUSED, "not in the driver directory");
    /* so is a symlink's target */
    priv_path(ctx, "link.so", link, sizeof link);
    ck_assert_int_eq(symlink(p, link), 0);
    expect_register_refused(ctx, "link.so", UVS_REFUSED, "not in the driver directory");
    /* and ../ does not get out either */
    put(ctx, "good_a.so");
    char arg[PATH_MAX + 64];
    snprintf(arg, sizeof arg, "%s/../drivers/../kiosk/../drivers/good_a.so", ctx->cfg.driver_dir);
    register_ok(ctx, arg, NULL); /* this one ends inside: fine */
    ck_assert_uint_eq(n_entries(ctx), 2);
    struct rec_typeidx e;
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    done(ctx);
}
END_TEST

/* garbage_result passes every check a registration can make; refusing its
   results is the vend code's job. */
START_TEST(test_register_garbage_result)
{
    struct uv_ctx *ctx = kiosk();
    put(ctx, "garbage_result.so");
    register_ok(ctx, "garbage_result.so", NULL);
    struct rec_typeidx e;
    ck_assert_int_eq(get_entry(ctx, "TST-G1", &e), UVS_OK);
    ck_assert_str_eq(e.driver, "garbage-result");
    done(ctx);
}
END_TEST

/* ---- the sale-time match ---------------------------------------------- */

START_TEST(test_match_cached)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *drv = NULL, *again = NULL;
    struct rec_typeidx e;
    char p[PATH_MAX];
    uint8_t want[32];
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so", p, sizeof p);
    file_sha256(p, want);
    register_ok(ctx, "good_a.so", NULL);
    tu_kiosk_reopen(ctx);
    unsigned audits = n_audit(ctx, NULL, NULL, NULL);

    uv_status st = typeindex_match(ctx, "TST-A1", &drv, &e);
    ck_assert_msg(st == UVS_OK, "match: %s", ctx->err.message);
    ck_assert_ptr_nonnull(drv);
    ck_assert_uint_eq(ctx->n_loaded, 1);
    ck_assert_ptr_eq(drv, &ctx->loaded[0]);
    ck_assert_str_eq(e.code, "TST-A1");
    ck_assert_str_eq(e.file, "good_a.so");
    ck_assert_str_eq(drv->file, "good_a.so");
    ck_assert_str_eq(drv->info.name, "good-a");
    ck_assert_mem_eq(drv->sha256, want, 32);
    ck_assert_ptr_nonnull(drv->desc);
    ck_assert_ptr_nonnull(drv->dctx); /* opened */

    /* usable: issue and decode through the opened context */
    struct uv_meter m = {.struct_size = sizeof m, .number = "M-9", .type_code = "TST-A1"};
    struct uv_credit_request req = {.struct_size = sizeof req, .kind = UV_CREDIT_ELECTRICITY,
                                    .amount = 5000, .sequence = 1};
    struct uv_issue_result *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->struct_size = sizeof *r;
    ck_assert_int_eq(drv->desc->issue_credit(drv->dctx, &m, &req, r), UV_OK);
    ck_assert_str_eq(r->tokens[0], "00000000000000005000");
    free(r);

    /* second call: the same loaded driver, nothing loaded again */
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &again, &e), UVS_OK);
    ck_assert_ptr_eq(again, drv);
    ck_assert_str_eq(e.file, "good_a.so");
    ck_assert_uint_eq(ctx->n_loaded, 1);
    /* the other code of the same file: the same driver too */
    ck_assert_int_eq(typeindex_match(ctx, "TST-A2", &again, &e), UVS_OK);
    ck_assert_ptr_eq(again, drv);
    ck_assert_uint_eq(ctx->n_loaded, 1);
    /* a successful match is not a refusal: nothing audited */
    ck_assert_uint_eq(n_audit(ctx, NULL, NULL, NULL), audits);
    done(ctx);
}
END_TEST

/* Two drivers in use in one process: each code gets its own driver. */
START_TEST(test_match_two_drivers)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *a = NULL, *b = NULL;
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    put(ctx, "good_b.so");
    register_ok(ctx, "good_a.so", NULL);
    register_ok(ctx, "good_b.so", NULL);
    tu_kiosk_reopen(ctx);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &a, &e), UVS_OK);
    uv_status st = typeindex_match(ctx, "TST-B1", &b, &e);
    ck_assert_msg(st == UVS_OK, "TST-B1 after TST-A1 in one context: %s", ctx->err.message);
    ck_assert_ptr_ne(a, b);
    ck_assert_str_eq(a->info.name, "good-a");
    ck_assert_str_eq(b->info.name, "good-b");
    ck_assert_ptr_ne(a->desc, b->desc);
    ck_assert_uint_eq(ctx->n_loaded, 2);
    done(ctx);
}
END_TEST

/* A driver loaded in this process must not leak into what a later probe
   (in a forked child) reports for another file. */
START_TEST(test_register_after_match)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *a = NULL;
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    put(ctx, "good_b.so");
    register_ok(ctx, "good_a.so", NULL);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &a, &e), UVS_OK);
    struct capture out;
    uv_status st = typeindex_register(ctx, "good_b.so", NULL, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "register good_b after a match: %s", ctx->err.message);
    assert_has(text, "TST-B1");
    assert_lacks(text, "TST-A");
    cap_free(&out);
    ck_assert_int_eq(get_entry(ctx, "TST-B1", &e), UVS_OK);
    ck_assert_str_eq(e.driver, "good-b");
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "good_a.so");
    done(ctx);
}
END_TEST

START_TEST(test_match_unregistered)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *drv = NULL;
    struct rec_typeidx e;
    uv_status st = typeindex_match(ctx, "TST-NONE", &drv, &e);
    ck_assert_int_eq(st, UVS_REFUSED);
    assert_has(ctx->err.message, "no driver is registered for meter type TST-NONE");
    ck_assert_ptr_null(drv);
    ck_assert_uint_eq(ctx->n_loaded, 0);
    done(ctx);
}
END_TEST

static void expect_match_refused(struct uv_ctx *ctx, const char *code, const char *reason)
{
    struct uv_loaded *drv = NULL;
    struct rec_typeidx e;
    unsigned before = n_audit(ctx, "driver.refused", code, reason);
    uv_status st = typeindex_match(ctx, code, &drv, &e);
    ck_assert_msg(st == UVS_REFUSED, "match %s: got %d (%s)", code, st, ctx->err.message);
    assert_has(ctx->err.message, reason);
    ck_assert_ptr_null(drv);
    ck_assert_uint_eq(ctx->n_loaded, 0);
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", code, reason), before + 1);
}

static void expect_verify_refused(struct uv_ctx *ctx, const char *code, const char *line_start,
                                  const char *reason)
{
    struct capture out;
    uv_status st = typeindex_verify(ctx, code, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_REFUSED, "verify: %d %s\n%s", st, ctx->err.message, text);
    assert_has(text, line_start);
    assert_has(text, reason);
    cap_free(&out);
}

START_TEST(test_match_tampered)
{
    struct uv_ctx *ctx = kiosk();
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);
    append_byte(ctx, "good_a.so");
    tu_kiosk_reopen(ctx);
    expect_match_refused(ctx, "TST-A1",
                         "driver file good_a.so for type TST-A1 has changed since it was "
                         "registered (SHA-256 differs): refused as tampered");
    expect_match_refused(ctx, "TST-A2", "changed since it was registered");

    expect_verify_refused(ctx, NULL, "REFUSED  TST-A1          good_a.so: ",
                          "changed since it was registered");
    struct capture out;
    ck_assert_int_eq(typeindex_verify(ctx, NULL, cap_open(&out)), UVS_REFUSED);
    const char *text = cap_text(&out);
    assert_has(text, "REFUSED  TST-A2");
    assert_lacks(text, "OK ");
    cap_free(&out);
    assert_has(ctx->err.message, "2 of 2 driver entries failed verification");
    /* verify of one code reports that code only */
    ck_assert_int_eq(typeindex_verify(ctx, "TST-A2", cap_open(&out)), UVS_REFUSED);
    text = cap_text(&out);
    assert_has(text, "REFUSED  TST-A2");
    assert_lacks(text, "TST-A1");
    cap_free(&out);
    assert_has(ctx->err.message, "1 of 1");
    done(ctx);
}
END_TEST

/* Replaced by a different, perfectly valid driver: still tampering. */
START_TEST(test_match_replaced)
{
    struct uv_ctx *ctx = kiosk();
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);
    put_as(ctx, "dup_a.so", "good_a.so");
    tu_kiosk_reopen(ctx);
    expect_match_refused(ctx, "TST-A1", "changed since it was registered");
    expect_verify_refused(ctx, "TST-A1", "REFUSED  TST-A1", "changed since it was registered");
    done(ctx);
}
END_TEST

START_TEST(test_match_missing_file)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX];
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);
    priv_path(ctx, "good_a.so", p, sizeof p);
    ck_assert_int_eq(unlink(p), 0);
    tu_kiosk_reopen(ctx);
    expect_match_refused(ctx, "TST-A1", "driver file good_a.so for type TST-A1 is missing");
    expect_verify_refused(ctx, NULL, "REFUSED  TST-A1          good_a.so: ", "is missing");
    done(ctx);
}
END_TEST

/* A registered file that a later upgrade turned bad: verify probes it. */
START_TEST(test_verify_probes)
{
    struct uv_ctx *ctx = kiosk();
    put(ctx, "good_a.so");
    put(ctx, "good_b.so");
    register_ok(ctx, "good_a.so", NULL);
    register_ok(ctx, "good_b.so", NULL);

    struct capture out;
    uv_status st = typeindex_verify(ctx, NULL, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "verify: %s\n%s", ctx->err.message, text);
    assert_has(text, "OK       TST-A1          good_a.so (good-a 1.0.0)\n");
    assert_has(text, "OK       TST-A2          good_a.so (good-a 1.0.0)\n");
    assert_has(text, "OK       TST-B1          good_b.so (good-b 2.1.0)\n");
    cap_free(&out);

    ck_assert_int_eq(typeindex_verify(ctx, "TST-B1", cap_open(&out)), UVS_OK);
    text = cap_text(&out);
    assert_has(text, "OK       TST-B1");
    assert_lacks(text, "TST-A1");
    cap_free(&out);

    ck_assert_int_eq(typeindex_verify(ctx, "TST-NONE", cap_open(&out)), UVS_NOTFOUND);
    cap_free(&out);
    assert_has(ctx->err.message, "type code TST-NONE is not registered");
    done(ctx);
}
END_TEST

/* ---- remove --------------------------------------------------------- */

START_TEST(test_remove)
{
    struct uv_ctx *ctx = kiosk();
    struct rec_typeidx e;
    struct uv_loaded *drv;
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);

    struct capture out;
    uv_status st = typeindex_remove(ctx, "TST-A1", cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "remove: %s", ctx->err.message);
    ck_assert_str_eq(text, "removed TST-A1 (was good_a.so)\n");
    cap_free(&out);
    ck_assert_uint_eq(n_entries(ctx), 1);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_NOTFOUND);
    ck_assert_int_eq(get_entry(ctx, "TST-A2", &e), UVS_OK);
    ck_assert_uint_eq(n_audit(ctx, "driver.remove", "TST-A1", "good_a.so good-a"), 1);

    /* gone for sales too */
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &drv, &e), UVS_REFUSED);
    assert_has(ctx->err.message, "no driver is registered");

    /* again: not there */
    ck_assert_int_eq(typeindex_remove(ctx, "TST-A1", NULL), UVS_NOTFOUND);
    assert_has(ctx->err.message, "type code TST-A1 is not registered");
    ck_assert_uint_eq(n_audit(ctx, "driver.remove", NULL, NULL), 1);
    ck_assert_uint_eq(n_entries(ctx), 1);

    /* the code is free for another driver now */
    put(ctx, "dup_a.so");
    register_ok(ctx, "dup_a.so", NULL);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.file, "dup_a.so");
    done(ctx);
}
END_TEST

START_TEST(test_remove_in_use)
{
    /* the STS fixture: driver sts.so registered, meter 01234567897 (STS-EA07) */
    struct uv_ctx *ctx = track(tu_kiosk_with_sts());
    struct rec_typeidx e;
    uv_status st = typeindex_remove(ctx, "STS-EA07", NULL);
    ck_assert_int_eq(st, UVS_REFUSED);
    assert_has(ctx->err.message, "type code STS-EA07 is used by 1 meter(s)");
    ck_assert_int_eq(get_entry(ctx, "STS-EA07", &e), UVS_OK);
    ck_assert_str_eq(e.file, "sts.so");
    ck_assert_uint_eq(n_audit(ctx, "driver.remove", NULL, NULL), 0);
    /* the other STS code has no meters */
    st = typeindex_remove(ctx, "STS-EA09", NULL);
    ck_assert_msg(st == UVS_OK, "remove STS-EA09: %s", ctx->err.message);
    ck_assert_int_eq(get_entry(ctx, "STS-EA09", &e), UVS_NOTFOUND);
    done(ctx);
}
END_TEST

/* ---- scan ----------------------------------------------------------- */

/* The line of the scan output about `file` (copied into line). */
static void scan_line(const char *text, const char *file, char *line, size_t cap)
{
    char key[160];
    snprintf(key, sizeof key, " %s ", file);
    const char *hit = NULL;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)n, p);
        if (strstr(buf, key)) {
            ck_assert_msg(hit == NULL, "%s reported twice:\n%s", file, text);
            hit = p;
            snprintf(line, cap, "%s", buf);
        }
        p = nl ? nl + 1 : NULL;
    }
    ck_assert_msg(hit != NULL, "%s not reported:\n%s", file, text);
}

START_TEST(test_scan)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], line[1024];
    put(ctx, "good_a.so");
    put(ctx, "dup_a.so");
    put(ctx, "good_b.so");
    put_broken(ctx, "wrong_abi.so");
    put_broken(ctx, "crash_on_load.so");
    priv_path(ctx, "text.so", p, sizeof p);
    write_file(p, "not a driver\n", 13, "wb");
    sign_written(ctx, p);
    /* a good driver without head office's signature: reported, never run */
    char from[PATH_MAX];
    build_path("good_b.so", from, sizeof from);
    priv_path(ctx, "unsigned.so", p, sizeof p);
    tu_copy(from, p);
    /* not *.so, or hidden: not looked at */
    priv_path(ctx, "README.txt", p, sizeof p);
    write_file(p, "notes\n", 6, "wb");
    put_broken_as(ctx, "wrong_abi.so", ".hidden.so");

    struct capture out;
    uv_status st = typeindex_scan(ctx, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_REFUSED, "scan: %d %s\n%s", st, ctx->err.message, text);
    assert_has(ctx->err.message, "5 driver file(s) refused");
    scan_line(text, "unsigned.so", line, sizeof line);
    ck_assert_str_eq(line, "REFUSED  unsigned.so            driver unsigned.so is not signed (no "
                           "unsigned.so.sig beside it): a kiosk takes only drivers signed by head "
                           "office ('univend driver sign'); refused");

    scan_line(text, "good_b.so", line, sizeof line);
    ck_assert_str_eq(line, "LOADED   good_b.so              good-b 2.1.0 [token] codes TST-B1");
    scan_line(text, "wrong_abi.so", line, sizeof line);
    ck_assert_msg(strncmp(line, "REFUSED  wrong_abi.so", 21) == 0, "%s", line);
    assert_has(line, "wrong ABI version");
    scan_line(text, "text.so", line, sizeof line);
    ck_assert_msg(strncmp(line, "REFUSED  text.so", 16) == 0, "%s", line);
    assert_has(line, "not an ELF shared object");
    scan_line(text, "crash_on_load.so", line, sizeof line);
    ck_assert_msg(strncmp(line, "REFUSED  crash_on_load.so", 25) == 0, "%s", line);
    assert_has(line, crash_reason(line));

    /* good_a and dup_a both claim TST-A1: one of them is loaded, the other
       refused as the duplicate, naming the first */
    char la[1024], ld[1024];
    scan_line(text, "good_a.so", la, sizeof la);
    scan_line(text, "dup_a.so", ld, sizeof ld);
    int a_loaded = strncmp(la, "LOADED ", 7) == 0, d_loaded = strncmp(ld, "LOADED ", 7) == 0;
    ck_assert_msg(a_loaded + d_loaded == 1, "exactly one of the two:\n%s\n%s", la, ld);
    const char *refused = a_loaded ? ld : la;
    assert_has(refused, "type code TST-A1 is also claimed by");
    assert_has(refused, a_loaded ? "good_a.so" : "dup_a.so");
    assert_has(refused, "refused as duplicate");
    if (a_loaded)
        assert_has(la, "good-a 1.0.0 [token] codes TST-A1,TST-A2");

    assert_lacks(text, "README");
    assert_lacks(text, ".hidden.so");
    cap_free(&out);
    /* scanning registers nothing */
    ck_assert_uint_eq(n_entries(ctx), 0);

    /* once good_a is registered for TST-A1, it is good_a that keeps it */
    register_ok(ctx, "good_a.so", NULL);
    st = typeindex_scan(ctx, cap_open(&out));
    text = cap_text(&out);
    ck_assert_int_eq(st, UVS_REFUSED);
    scan_line(text, "good_a.so", la, sizeof la);
    scan_line(text, "dup_a.so", ld, sizeof ld);
    ck_assert_str_eq(la, "LOADED   good_a.so              good-a 1.0.0 [token] codes TST-A1,TST-A2");
    ck_assert_str_eq(ld, "REFUSED  dup_a.so               dup_a.so: type code TST-A1 is also "
                         "claimed by good_a.so; refused as duplicate");
    cap_free(&out);
    done(ctx);
}
END_TEST

START_TEST(test_scan_clean)
{
    struct uv_ctx *ctx = kiosk();
    struct capture out;
    /* empty directory */
    ck_assert_int_eq(typeindex_scan(ctx, cap_open(&out)), UVS_OK);
    ck_assert_str_eq(cap_text(&out), "");
    cap_free(&out);
    /* good drivers only */
    put(ctx, "good_a.so");
    put(ctx, "good_b.so");
    put(ctx, "good_card.so");
    uv_status st = typeindex_scan(ctx, cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "scan: %s\n%s", ctx->err.message, text);
    assert_has(text, "LOADED   good_a.so              good-a 1.0.0 [token] codes TST-A1,TST-A2\n");
    assert_has(text, "LOADED   good_card.so           good-card 1.0.0 [memory-card] codes TST-C1\n");
    assert_lacks(text, "REFUSED");
    cap_free(&out);
    /* no such directory */
    ck_assert_uint_lt(strlen(ctx->cfg.driver_dir) + 10, sizeof ctx->cfg.driver_dir);
    strcat(ctx->cfg.driver_dir, "/nonesuch");
    ck_assert_int_eq(typeindex_scan(ctx, cap_open(&out)), UVS_IO);
    cap_free(&out);
    done(ctx);
}
END_TEST

/* ---- start-up status ------------------------------------------------ */

START_TEST(test_status)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_driver_status ds[8];
    size_t n = 99;
    /* nothing registered */
    ck_assert_int_eq(typeindex_status(ctx, ds, 8, &n), UVS_OK);
    ck_assert_uint_eq(n, 0);

    put(ctx, "good_a.so");
    put(ctx, "good_b.so");
    register_ok(ctx, "good_a.so", NULL);
    register_ok(ctx, "good_b.so", NULL);
    append_byte(ctx, "good_b.so");
    memset(ds, 0xA5, sizeof ds);
    uv_fail(&ctx->err, UVS_OK, "sentinel");
    uv_status st = typeindex_status(ctx, ds, 8, &n);
    ck_assert_msg(st == UVS_OK, "status: %s", ctx->err.message);
    ck_assert_uint_eq(n, 3);
    /* in type code order */
    ck_assert_str_eq(ds[0].code, "TST-A1");
    ck_assert_str_eq(ds[0].file, "good_a.so");
    ck_assert_str_eq(ds[0].driver, "good-a");
    ck_assert_str_eq(ds[0].version, "1.0.0");
    ck_assert_int_eq(ds[0].ok, 1);
    ck_assert_str_eq(ds[0].reason, "");
    ck_assert_str_eq(ds[1].code, "TST-A2");
    ck_assert_int_eq(ds[1].ok, 1);
    ck_assert_str_eq(ds[2].code, "TST-B1");
    ck_assert_str_eq(ds[2].driver, "good-b");
    ck_assert_int_eq(ds[2].ok, 0);
    assert_has(ds[2].reason, "changed since it was registered");
    /* the reasons are in the entries; the error slot is left alone */
    ck_assert_str_eq(ctx->err.message, "sentinel");

    /* a short array: filled, not overrun */
    memset(ds, 0xA5, sizeof ds);
    ck_assert_int_eq(typeindex_status(ctx, ds, 2, &n), UVS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(ds[1].code, "TST-A2");
    ck_assert_uint_eq((unsigned char)ds[2].code[0], 0xA5);
    done(ctx);
}
END_TEST

/* ---- check one file --------------------------------------------------- */

/* Card drivers: ATR patterns kept with each type code at registration, and
   the drivers that may read a card found by its ATR, narrowest pattern first. */
START_TEST(test_card_atr_candidates)
{
    struct uv_ctx *ctx = kiosk();
    char from[PATH_MAX], to[PATH_MAX];
    ck_assert_int_lt(snprintf(from, sizeof from, "%s/memcard.so", tu_driver_dir()), (int)sizeof from);
    priv_path(ctx, "memcard.so", to, sizeof to);
    tu_copy(from, to);
    tu_sign_driver(ctx, to);
    put(ctx, "good_card.so");
    put(ctx, "good_a.so");
    const char *files[] = {"memcard.so", "good_card.so", "good_a.so"};
    for (int i = 0; i < 3; i++)
        ck_assert_msg(typeindex_register(ctx, files[i], NULL, NULL) == UVS_OK, "%s: %s", files[i],
                      ctx->err.message);
    struct rec_typeidx e;
    ck_assert_int_eq(get_entry(ctx, "MEM-A2", &e), UVS_OK);
    ck_assert_uint_eq(e.media, UV_MEDIUM_MEMORY_CARD);
    ck_assert_str_eq(e.atr, "3B8F8001804F0CA0000003060D00000000000065/"
                            "FFFFFFFFFFFFFFFFFFFFFFFFFF0000FFFFFFFF00");
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    ck_assert_str_eq(e.atr, ""); /* a token driver reads no card */
    ck_assert_uint_eq(e.media, UV_MEDIUM_VIRTUAL);

    struct uv_card_candidate cand[4];
    size_t n = 0;
    uint8_t atr[20];
    static const char mc_atr[] = "3B8F8001804F0CA0000003060D00000000000065";
    ck_assert_int_eq(digest_unhex(mc_atr, atr, sizeof atr), 0);
    ck_assert_int_eq(typeindex_atr_candidates(ctx, atr, sizeof atr, cand, 4, &n), UVS_OK);
    ck_assert_uint_eq(n, 2); /* one per driver file, not one per type code */
    ck_assert_str_eq(cand[0].entry.file, "memcard.so");
    ck_assert_uint_eq(cand[0].specificity, 17 * 8);
    ck_assert_str_eq(cand[1].entry.file, "good_card.so");
    ck_assert_uint_eq(cand[1].specificity, 12 * 8);
    /* another card name (and so another check byte): still a memory card */
    atr[13] = 0x12;
    atr[19] ^= 0x12;
    ck_assert_int_eq(typeindex_atr_candidates(ctx, atr, sizeof atr, cand, 4, &n), UVS_OK);
    ck_assert_uint_eq(n, 2);
    /* another storage card standard: only the wide pattern */
    atr[12] = 0x03;
    ck_assert_int_eq(typeindex_atr_candidates(ctx, atr, sizeof atr, cand, 4, &n), UVS_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(cand[0].entry.file, "good_card.so");
    /* a CPU card's ATR, or one byte shorter: nothing */
    ck_assert_int_eq(typeindex_atr_candidates(ctx, atr, 19, cand, 4, &n), UVS_OK);
    ck_assert_uint_eq(n, 0);
    /* at most cap candidates */
    atr[12] = 0x0D;
    ck_assert_int_eq(typeindex_atr_candidates(ctx, atr, sizeof atr, cand, 1, &n), UVS_OK);
    ck_assert_uint_eq(n, 1);

    struct capture out;
    ck_assert_int_eq(typeindex_list(ctx, cap_open(&out)), UVS_OK);
    assert_has(cap_text(&out), "card ATR 3B8F8001804F0CA0000003060D00000000000065/");
    cap_free(&out);
    done(ctx);
}
END_TEST

START_TEST(test_check_file)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], hex[65], line[128];
    uint8_t h[32];
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so", p, sizeof p);
    file_sha256(p, h);
    digest_hex(h, 32, hex);

    struct capture out;
    uv_status st = typeindex_check_file(ctx, "good_a.so", cap_open(&out));
    const char *text = cap_text(&out);
    ck_assert_msg(st == UVS_OK, "check: %s", ctx->err.message);
    assert_has(text, "file:        good_a.so\n");
    snprintf(line, sizeof line, "sha256:      %s\n", hex);
    assert_has(text, line);
    assert_has(text, "name:        good-a\n");
    assert_has(text, "vendor:      univend tests\n");
    assert_has(text, "version:     1.0.0\n");
    assert_has(text, "description: test driver: amount in plain token digits\n");
    /* the test drivers are built against this very header */
    snprintf(line, sizeof line, "abi:         %u.%u\n", UV_ABI_MAJOR, UV_ABI_MINOR);
    assert_has(text, line);
    assert_has(text, "media:       token\n");
    assert_has(text, "operations:  credit verify decode\n");
    assert_has(text, "self test:   passed\n");
    assert_has(text, "type codes:  TST-A1 TST-A2\n");
    assert_has(text, "signature:   valid, by trusted head office key ");
    assert_has(text, " for good-a 1.0.0, codes TST-A1,TST-A2\n");
    cap_free(&out);
    ck_assert_uint_eq(n_entries(ctx), 0); /* checking registers nothing */

    put(ctx, "good_card.so");
    ck_assert_int_eq(typeindex_check_file(ctx, "good_card.so", cap_open(&out)), UVS_OK);
    text = cap_text(&out);
    assert_has(text, "media:       memory-card\n");
    assert_has(text, "operations:  credit verify management read-medium\n");
    assert_has(text, "type codes:  TST-C1\n");
    cap_free(&out);

    /* refusals: self test, crash, outside the directory, missing */
    put_broken(ctx, "selftest_fail.so");
    ck_assert_int_eq(typeindex_check_file(ctx, "selftest_fail.so", cap_open(&out)), UVS_DRIVER);
    ck_assert_str_eq(cap_text(&out), "");
    cap_free(&out);
    assert_has(ctx->err.message, "self test failed");
    put(ctx, "exit_in_decode.so");
    ck_assert_int_eq(typeindex_check_file(ctx, "exit_in_decode.so", cap_open(&out)), UVS_DRIVER);
    text = cap_text(&out);
    assert_has(text, "FAIL  decode_token refuses garbage: the driver ended the process\n");
    cap_free(&out);
    put_broken(ctx, "crash_on_load.so");
    ck_assert_int_eq(typeindex_check_file(ctx, "crash_on_load.so", cap_open(&out)), UVS_DRIVER);
    cap_free(&out);
    assert_has(ctx->err.message, crash_reason(ctx->err.message));
    build_path("good_a.so", p, sizeof p);
    ck_assert_int_eq(typeindex_check_file(ctx, p, cap_open(&out)), UVS_REFUSED);
    cap_free(&out);
    assert_has(ctx->err.message, "not in the driver directory");
    ck_assert_int_eq(typeindex_check_file(ctx, "nonesuch.so", cap_open(&out)), UVS_NOTFOUND);
    cap_free(&out);
    done(ctx);
}
END_TEST

/* ---- signatures --------------------------------------------------------- */

/* Copy a test driver into the driver directory without any signature. */
static void put_unsigned(struct uv_ctx *ctx, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    build_path(name, from, sizeof from);
    priv_path(ctx, name, to, sizeof to);
    tu_copy(from, to);
}

static void read_text(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    *len = fread(buf, 1, cap - 1, f);
    buf[*len] = '\0';
    fclose(f);
}

/* A refusal to register: the status, the reason, nothing registered, and
   one more driver.refused record for the file naming the reason. */
static void expect_sig_refused(struct uv_ctx *ctx, const char *file, const char *codes,
                               const char *reason)
{
    unsigned before = n_audit(ctx, "driver.refused", file, reason);
    unsigned entries = n_entries(ctx);
    uv_status st = typeindex_register(ctx, file, codes, NULL);
    ck_assert_msg(st == UVS_REFUSED, "register %s: got %d (%s)", file, st, ctx->err.message);
    assert_has(ctx->err.message, reason);
    assert_has(ctx->err.message, file);
    ck_assert_uint_eq(n_entries(ctx), entries);
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", file, reason), before + 1);
}

START_TEST(test_register_unsigned)
{
    struct uv_ctx *ctx = kiosk();
    put_unsigned(ctx, "good_a.so");
    expect_sig_refused(ctx, "good_a.so", NULL,
                       "driver good_a.so is not signed (no good_a.so.sig beside it)");
    /* nothing of an unsigned file runs: a driver that crashes when loaded is
       refused for its missing signature, not for its crash */
    put_unsigned(ctx, "crash_on_load.so");
    expect_sig_refused(ctx, "crash_on_load.so", NULL, "is not signed");
    assert_lacks(ctx->err.message, "crashed");
    /* the same with a signature that is no signature */
    char p[PATH_MAX];
    priv_path(ctx, "good_a.so.sig", p, sizeof p);
    write_file(p, "not a signature\n", 16, "wb");
    expect_sig_refused(ctx, "good_a.so", NULL, "is not a valid driver signature (line 1");
    ck_assert_uint_eq(n_audit(ctx, "driver.register", NULL, NULL), 0);
    done(ctx);
}
END_TEST

START_TEST(test_register_untrusted_key)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX];
    put(ctx, "good_a.so");
    /* another head office's signature (a key this kiosk never trusted) */
    struct uv_ctx *rogue = track(tu_kiosk_new());
    uint8_t pub[32];
    ck_assert_int_eq(hqkey_generate(rogue, pub), UVS_OK);
    priv_path(ctx, "good_a.so", p, sizeof p);
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    ck_assert_int_eq(driver_sign(rogue, p, &o, NULL), UVS_OK);
    expect_sig_refused(ctx, "good_a.so", NULL, "which this kiosk does not trust");
    done(rogue);
    done(ctx);
}
END_TEST

START_TEST(test_register_changed_after_signing)
{
    struct uv_ctx *ctx = kiosk();
    put(ctx, "good_a.so");
    append_byte(ctx, "good_a.so");
    expect_sig_refused(ctx, "good_a.so", NULL,
                       "driver good_a.so does not match its signature (SHA-256 differs)");
    /* another driver's signature beside it: the same */
    char a[PATH_MAX], b[PATH_MAX], text[DRVSIG_MAX + 2];
    size_t len;
    put(ctx, "good_b.so");
    priv_path(ctx, "good_b.so.sig", b, sizeof b);
    read_text(b, text, sizeof text, &len);
    priv_path(ctx, "good_a.so.sig", a, sizeof a);
    write_file(a, text, len, "wb");
    expect_sig_refused(ctx, "good_a.so", NULL, "does not match its signature");
    done(ctx);
}
END_TEST

START_TEST(test_register_forged_signature)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], text[DRVSIG_MAX + 2];
    size_t len;
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so.sig", p, sizeof p);
    read_text(p, text, sizeof text, &len);
    /* a code added to what head office approved */
    char *c = strstr(text, "codes: TST-A1,TST-A2\n");
    ck_assert_ptr_nonnull(c);
    memcpy(c, "codes: TST-A1,TST-A9\n", 21);
    write_file(p, text, len, "wb");
    expect_sig_refused(ctx, "good_a.so", NULL,
                       "the signature of driver good_a.so does not verify under head office key "
                       "TEST-HQ");
    done(ctx);
}
END_TEST

START_TEST(test_register_only_approved_codes)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX];
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so", p, sizeof p);
    /* head office approves TST-A1 only */
    tu_sign_driver_as(ctx, p, "good-a", "1.0.0", "TST-A1");
    expect_sig_refused(ctx, "good_a.so", "TST-A2",
                       "head office did not approve it for type code TST-A2 (its signature "
                       "approves TST-A1)");
    register_ok(ctx, "good_a.so", NULL);
    ck_assert_uint_eq(n_entries(ctx), 1);
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    assert_has(e.signature, "\ncodes: TST-A1\n");
    /* and a signature for another driver's name or version */
    tu_sign_driver_as(ctx, p, "good-b", "1.0.0", "TST-A1");
    expect_sig_refused(ctx, "good_a.so", NULL,
                       "driver good_a.so says it is good-a 1.0.0 but head office signed it as "
                       "good-b 1.0.0");
    tu_sign_driver_as(ctx, p, "good-a", "1.0.1", "TST-A1");
    expect_sig_refused(ctx, "good_a.so", NULL, "signed it as good-a 1.0.1");
    done(ctx);
}
END_TEST

START_TEST(test_register_signature_given)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], text[DRVSIG_MAX + 2];
    size_t len;
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so.sig", p, sizeof p);
    read_text(p, text, sizeof text, &len);
    ck_assert_int_eq(unlink(p), 0);
    /* the text alone (a driver package, or --signature) */
    uv_status st = typeindex_register_signed(ctx, "good_a.so", NULL, text, len, NULL);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_int_eq(get_entry(ctx, "TST-A2", &e), UVS_OK);
    ck_assert_str_eq(e.signature, text); /* kept whole with the entry */
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-A1", "signer="), 1);
    done(ctx);
}
END_TEST

/* Inside a caller's transaction (an instruction file's driver package):
   nothing is kept unless the caller commits, and a refusal leaves the audit
   record to the caller. */
START_TEST(test_register_in_callers_txn)
{
    struct uv_ctx *ctx = kiosk();
    char p[PATH_MAX], text[DRVSIG_MAX + 2];
    size_t len;
    struct uv_loaded *drv;
    struct rec_typeidx e;
    DB_TXN *txn;
    put(ctx, "good_a.so");
    priv_path(ctx, "good_a.so.sig", p, sizeof p);
    read_text(p, text, sizeof text, &len);
    ck_assert_int_eq(unlink(p), 0);
    unsigned audits = n_audit(ctx, NULL, NULL, NULL);
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(typeindex_register_txn(ctx, txn, "good_a.so", NULL, text, len, NULL), UVS_OK);
    store_abort(txn);
    ck_assert_uint_eq(n_entries(ctx), 0);
    ck_assert_uint_eq(n_audit(ctx, NULL, NULL, NULL), audits);
    /* a refusal: no record of its own */
    text[len - 3] = text[len - 3] == '0' ? '1' : '0'; /* the signature's last digits */
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(typeindex_register_txn(ctx, txn, "good_a.so", NULL, text, len, NULL),
                     UVS_REFUSED);
    assert_has(ctx->err.message, "does not verify");
    store_abort(txn);
    ck_assert_uint_eq(n_audit(ctx, NULL, NULL, NULL), audits);
    text[len - 3] = text[len - 3] == '0' ? '1' : '0';
    /* committed by the caller: registered, audited, and sold through */
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(typeindex_register_txn(ctx, txn, "good_a.so", "TST-A2", text, len, NULL),
                     UVS_OK);
    ck_assert_int_eq(store_commit(&ctx->store, txn, &ctx->err), UVS_OK);
    ck_assert_uint_eq(n_entries(ctx), 1);
    ck_assert_uint_eq(n_audit(ctx, "driver.register", "TST-A2", "good_a.so"), 1);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A2", &drv, &e), UVS_OK);
    done(ctx);
}
END_TEST

/* A key revoked after registration: the driver stops at once, whether this
   process has it loaded or not, and cannot be registered again. */
START_TEST(test_revoked_key_stops_loads)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *drv;
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &drv, &e), UVS_OK);
    ck_assert_uint_eq(ctx->n_loaded, 1);
    ck_assert_int_eq(trust_revoke(ctx, "TEST-HQ"), UVS_OK);
    /* loaded already: refused all the same */
    unsigned before = n_audit(ctx, "driver.refused", "TST-A1", "revoked");
    ck_assert_int_eq(typeindex_match(ctx, "TST-A1", &drv, &e), UVS_REFUSED);
    assert_has(ctx->err.message, "driver good_a.so refused: signed by head office key TEST-HQ");
    assert_has(ctx->err.message, "revoked");
    ck_assert_uint_eq(n_audit(ctx, "driver.refused", "TST-A1", "revoked"), before + 1);
    /* a fresh process */
    tu_kiosk_reopen(ctx);
    expect_match_refused(ctx, "TST-A2", "revoked");
    expect_verify_refused(ctx, NULL, "REFUSED  TST-A1", "revoked");
    struct uv_driver_status ds[4];
    size_t n = 0;
    ck_assert_int_eq(typeindex_status(ctx, ds, 4, &n), UVS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ds[0].ok, 0);
    assert_has(ds[0].reason, "revoked");
    expect_sig_refused(ctx, "good_a.so", NULL, "revoked");
    done(ctx);
}
END_TEST

/* An entry registered before drivers were signed (no signature kept) is
   not loaded until it is registered again with one. */
START_TEST(test_entry_from_before_signing)
{
    struct uv_ctx *ctx = kiosk();
    struct uv_loaded *drv;
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", NULL);
    static const char *const codes[] = {"TST-A1", "TST-A2"};
    for (int i = 0; i < 2; i++) { /* as an older univend wrote them */
        ck_assert_int_eq(get_entry(ctx, codes[i], &e), UVS_OK);
        e.signature[0] = '\0';
        ck_assert_int_eq(store_put_rec(&ctx->store, NULL, UV_DB_TYPEIDX, codes[i], 6,
                                       &rec_typeidx_layout, &e, 0, &ctx->err),
                         UVS_OK);
    }
    tu_kiosk_reopen(ctx);
    struct capture out;
    ck_assert_int_eq(typeindex_list(ctx, cap_open(&out)), UVS_OK);
    assert_has(cap_text(&out), "by tester  UNSIGNED: not loaded until registered again, signed\n");
    cap_free(&out);
    expect_match_refused(ctx, "TST-A1",
                         "driver good_a.so for type TST-A1 was registered before drivers were "
                         "signed: it is not loaded until head office signs it and it is "
                         "registered again ('univend driver register good_a.so')");
    expect_verify_refused(ctx, "TST-A2", "REFUSED  TST-A2", "registered before drivers were signed");
    register_ok(ctx, "good_a.so", NULL);
    uv_status st = typeindex_match(ctx, "TST-A1", &drv, &e);
    ck_assert_msg(st == UVS_OK, "after registering again: %s", ctx->err.message);
    done(ctx);
}
END_TEST

/* A type index entry edited to a code the signature does not approve. */
START_TEST(test_entry_code_not_approved)
{
    struct uv_ctx *ctx = kiosk();
    struct rec_typeidx e;
    put(ctx, "good_a.so");
    register_ok(ctx, "good_a.so", "TST-A1");
    ck_assert_int_eq(get_entry(ctx, "TST-A1", &e), UVS_OK);
    strcpy(e.code, "TST-A9");
    ck_assert_int_eq(store_put_rec(&ctx->store, NULL, UV_DB_TYPEIDX, "TST-A9", 6,
                                   &rec_typeidx_layout, &e, 0, &ctx->err),
                     UVS_OK);
    expect_match_refused(ctx, "TST-A9", "its signature does not approve type code TST-A9");
    done(ctx);
}
END_TEST

Suite *typeindex_suite(void)
{
    Suite *s = suite_create("typeindex");
    TCase *tc = tcase_create("register");
    tcase_add_test(tc, test_register_and_list);
    tcase_add_test(tc, test_list_empty);
    tcase_add_test(tc, test_register_subset);
    tcase_add_test(tc, test_register_duplicate);
    tcase_add_test(tc, test_reregister);
    tcase_add_test(tc, test_register_bad_drivers);
    tcase_add_test(tc, test_register_not_drivers);
    tcase_add_test(tc, test_register_outside);
    tcase_add_test(tc, test_register_garbage_result);
    tcase_add_checked_fixture(tc, kiosk_setup, kiosk_teardown);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    /* the probe of a hanging driver waits out UV_PROBE_TIMEOUT_MS */
    tc = tcase_create("register_hang");
    tcase_add_test(tc, test_register_hang);
    tcase_add_checked_fixture(tc, kiosk_setup, kiosk_teardown);
    tcase_set_timeout(tc, UV_PROBE_TIMEOUT_MS / 1000 + 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("match");
    tcase_add_test(tc, test_match_cached);
    tcase_add_test(tc, test_match_two_drivers);
    tcase_add_test(tc, test_register_after_match);
    tcase_add_test(tc, test_match_unregistered);
    tcase_add_test(tc, test_match_tampered);
    tcase_add_test(tc, test_match_replaced);
    tcase_add_test(tc, test_match_missing_file);
    tcase_add_test(tc, test_verify_probes);
    tcase_add_checked_fixture(tc, kiosk_setup, kiosk_teardown);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("signatures");
    tcase_add_test(tc, test_register_unsigned);
    tcase_add_test(tc, test_register_untrusted_key);
    tcase_add_test(tc, test_register_changed_after_signing);
    tcase_add_test(tc, test_register_forged_signature);
    tcase_add_test(tc, test_register_only_approved_codes);
    tcase_add_test(tc, test_register_signature_given);
    tcase_add_test(tc, test_register_in_callers_txn);
    tcase_add_test(tc, test_revoked_key_stops_loads);
    tcase_add_test(tc, test_entry_from_before_signing);
    tcase_add_test(tc, test_entry_code_not_approved);
    tcase_add_checked_fixture(tc, kiosk_setup, kiosk_teardown);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("manage");
    tcase_add_test(tc, test_remove);
    tcase_add_test(tc, test_remove_in_use);
    tcase_add_test(tc, test_scan);
    tcase_add_test(tc, test_scan_clean);
    tcase_add_test(tc, test_status);
    tcase_add_test(tc, test_check_file);
    tcase_add_test(tc, test_card_atr_candidates);
    tcase_add_checked_fixture(tc, kiosk_setup, kiosk_teardown);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
