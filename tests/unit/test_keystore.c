/* test_keystore.c — PBKDF2 + AES-256-GCM key wrapping on a real kiosk. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keystore.h"
#include "testutil.h"

static struct uv_ctx *ctx;

static const uint8_t key8[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
/* distinctive: no run of these bytes is likely to occur by chance in a file */
static const uint8_t key32[32] = {0xD1, 0x5C, 0x0B, 0xE7, 0x42, 0x99, 0x3A, 0xF0,
                                  0x6E, 0x11, 0xC8, 0x27, 0xB4, 0x5D, 0x80, 0x1F,
                                  0xA3, 0x76, 0xE9, 0x02, 0x4B, 0xDC, 0x38, 0x95,
                                  0x61, 0xFA, 0x0E, 0xB7, 0x2C, 0x83, 0x59, 0xC4};

static void setup(void)
{
    ctx = tu_kiosk_new();
    ck_assert(keystore_unlocked(&ctx->keys));
}

static void teardown(void)
{
    if (ctx)
        tu_kiosk_free(ctx);
    ctx = NULL;
}

static uv_status put(const char *ref, const uint8_t *k, size_t n)
{
    return keystore_put(&ctx->keys, &ctx->store, NULL, ref, k, n, "tester", &ctx->err);
}

static uv_status get(const char *ref, uint8_t *buf, size_t cap, size_t *len)
{
    return keystore_get(&ctx->keys, &ctx->store, ref, buf, cap, len, &ctx->err);
}

static void expect_key(const char *ref, const uint8_t *k, size_t n)
{
    uint8_t buf[UV_KEY_MAX];
    size_t len = 0;
    uv_status st = get(ref, buf, sizeof buf, &len);
    ck_assert_msg(st == UVS_OK, "get %s: %s", ref, ctx->err.message);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(buf, k, n);
}

/* Raw stored value of a key record. */
static size_t raw_get(const char *ref, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    ck_assert_int_eq(store_get(&ctx->store, NULL, UV_DB_KEYS, ref, strlen(ref), buf, cap, &len, 0,
                               &ctx->err),
                     UVS_OK);
    return len;
}

START_TEST(put_get_roundtrip)
{
    ck_assert_int_eq(put("sts:123456:1", key8, sizeof key8), UVS_OK);
    ck_assert_int_eq(put("vk.32-bytes_A", key32, sizeof key32), UVS_OK);
    expect_key("sts:123456:1", key8, sizeof key8);
    expect_key("vk.32-bytes_A", key32, sizeof key32);

    /* the extremes of key length */
    uint8_t k64[64];
    for (int i = 0; i < 64; i++)
        k64[i] = (uint8_t)(i * 7 + 3);
    ck_assert_int_eq(put("one", key8, 1), UVS_OK);
    ck_assert_int_eq(put("sixtyfour", k64, 64), UVS_OK);
    expect_key("one", key8, 1);
    expect_key("sixtyfour", k64, 64);
    ck_assert_int_eq(put("zero", key8, 0), UVS_INPUT);
    ck_assert_int_eq(put("toolong", k64, 65), UVS_INPUT);

    /* length query without a buffer; too small a buffer is refused */
    size_t len = 0;
    ck_assert_int_eq(get("vk.32-bytes_A", NULL, 0, &len), UVS_OK);
    ck_assert_uint_eq(len, 32);
    uint8_t small[31];
    ck_assert_int_eq(get("vk.32-bytes_A", small, sizeof small, &len), UVS_INPUT);

    /* the record carries ref, creator and time; wrapping is randomised:
       the same key under two refs gives different nonces and ciphertexts */
    ck_assert_int_eq(put("copy2", key32, sizeof key32), UVS_OK);
    struct rec_key a, b;
    ck_assert_int_eq(store_get_rec(&ctx->store, NULL, UV_DB_KEYS, "vk.32-bytes_A", 13,
                                   &rec_key_layout, &a, 0, &ctx->err),
                     UVS_OK);
    ck_assert_int_eq(store_get_rec(&ctx->store, NULL, UV_DB_KEYS, "copy2", 5, &rec_key_layout, &b,
                                   0, &ctx->err),
                     UVS_OK);
    ck_assert_str_eq(a.ref, "vk.32-bytes_A");
    ck_assert_str_eq(a.created_by, "tester");
    ck_assert_int_gt(a.created_at, 1600000000);
    ck_assert_uint_eq(a.ct_len, 32);
    ck_assert(memcmp(a.nonce, b.nonce, sizeof a.nonce) != 0);
    ck_assert(memcmp(a.ct, b.ct, 32) != 0);
}
END_TEST

START_TEST(missing_duplicate_invalid)
{
    uint8_t buf[UV_KEY_MAX];
    size_t len = 99;
    ck_assert_int_eq(get("no:such:key", buf, sizeof buf, &len), UVS_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "no:such:key"));
    ck_assert_uint_eq(len, 99);

    ck_assert_int_eq(put("dup", key8, sizeof key8), UVS_OK);
    ck_assert_int_eq(put("dup", key32, sizeof key32), UVS_EXISTS);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "already exists"));
    expect_key("dup", key8, sizeof key8); /* the first key is untouched */

    /* references: 1..63 of [A-Za-z0-9:._-] */
    char r63[64], r64[65];
    memset(r63, 'r', 63);
    r63[63] = '\0';
    memset(r64, 'r', 64);
    r64[64] = '\0';
    ck_assert(keystore_ref_valid("a"));
    ck_assert(keystore_ref_valid("AZaz09:._-"));
    ck_assert(keystore_ref_valid(r63));
    static const char *const bad[] = {"", "with space", "a/b", "a\\b", "a\nb", "é", "a*", "a=b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!keystore_ref_valid(bad[i]), "'%s' valid", bad[i]);
        ck_assert_int_eq(put(bad[i], key8, sizeof key8), UVS_INPUT);
        ck_assert_int_eq(get(bad[i], buf, sizeof buf, &len), UVS_INPUT);
    }
    ck_assert(!keystore_ref_valid(r64));
    ck_assert(!keystore_ref_valid(NULL));
    ck_assert_int_eq(put(r64, key8, sizeof key8), UVS_INPUT);
    ck_assert_int_eq(get(r64, buf, sizeof buf, &len), UVS_INPUT);
    ck_assert_int_eq(put(r63, key8, sizeof key8), UVS_OK);
    expect_key(r63, key8, sizeof key8);

    /* a put inside an aborted transaction leaves nothing */
    DB_TXN *txn;
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(keystore_put(&ctx->keys, &ctx->store, txn, "aborted", key8, 8, "tester",
                                  &ctx->err),
                     UVS_OK);
    store_abort(txn);
    ck_assert_int_eq(get("aborted", buf, sizeof buf, &len), UVS_NOTFOUND);
}
END_TEST

START_TEST(lock_and_unlock)
{
    uint8_t buf[UV_KEY_MAX];
    size_t len;
    ck_assert_int_eq(put("k", key8, sizeof key8), UVS_OK);
    keystore_lock(&ctx->keys);
    ck_assert(!keystore_unlocked(&ctx->keys));
    keystore_lock(&ctx->keys); /* idempotent */
    ck_assert_int_eq(get("k", buf, sizeof buf, &len), UVS_KEY);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "locked"));
    ck_assert_int_eq(put("k2", key8, sizeof key8), UVS_KEY);

    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, "wrong passphrase", &ctx->err),
                     UVS_KEY);
    ck_assert_str_eq(ctx->err.message, "wrong key store passphrase");
    ck_assert(!keystore_unlocked(&ctx->keys));
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, "", &ctx->err), UVS_KEY);
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, NULL, &ctx->err), UVS_KEY);
    /* one character off */
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, TU_PASSPHRASE "x", &ctx->err),
                     UVS_KEY);
    ck_assert(!keystore_unlocked(&ctx->keys));

    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_OK);
    ck_assert(keystore_unlocked(&ctx->keys));
    expect_key("k", key8, sizeof key8);
    /* a failed unlock of an unlocked store locks it (no stale KEK kept) */
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, "nope", &ctx->err), UVS_KEY);
    ck_assert(!keystore_unlocked(&ctx->keys));
}
END_TEST

START_TEST(unlock_after_reopen)
{
    ck_assert_int_eq(put("sts:1:1", key8, sizeof key8), UVS_OK);
    ck_assert_int_eq(put("big", key32, sizeof key32), UVS_OK);
    tu_kiosk_reopen(ctx);
    ck_assert(!keystore_unlocked(&ctx->keys));
    uint8_t buf[UV_KEY_MAX];
    size_t len;
    ck_assert_int_eq(get("sts:1:1", buf, sizeof buf, &len), UVS_KEY);
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, "Test-passphrase", &ctx->err),
                     UVS_KEY);
    ck_assert_str_eq(ctx->err.message, "wrong key store passphrase");
    ck_assert_int_eq(keystore_unlock(&ctx->keys, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_OK);
    ck_assert_uint_eq(ctx->keys.kdf_iterations, 1000); /* from the stored header */
    expect_key("sts:1:1", key8, sizeof key8);
    expect_key("big", key32, sizeof key32);
}
END_TEST

START_TEST(moved_record_does_not_unwrap)
{
    uint8_t raw[REC_BUF_MAX], buf[UV_KEY_MAX];
    size_t len = 0;
    ck_assert_int_eq(put("sts:111111:1", key8, sizeof key8), UVS_OK);
    size_t n = raw_get("sts:111111:1", raw, sizeof raw);
    /* the same bytes stored under another reference */
    ck_assert_int_eq(store_put(&ctx->store, NULL, UV_DB_KEYS, "sts:222222:1", 12, raw, n, 1,
                               &ctx->err),
                     UVS_OK);
    memset(buf, 0xAA, sizeof buf);
    ck_assert_int_eq(get("sts:222222:1", buf, sizeof buf, &len), UVS_KEY);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "sts:222222:1"));
    ck_assert_msg(memmem(buf, sizeof buf, key8, sizeof key8) == NULL,
                  "key bytes leaked on a failed unwrap");
    /* the original is fine */
    expect_key("sts:111111:1", key8, sizeof key8);
}
END_TEST

/* Re-store the key record of ref after `mutate` changed it. */
static void tamper(const char *ref, void (*mutate)(struct rec_key *))
{
    struct rec_key r;
    ck_assert_int_eq(store_get_rec(&ctx->store, NULL, UV_DB_KEYS, ref, strlen(ref),
                                   &rec_key_layout, &r, 0, &ctx->err),
                     UVS_OK);
    mutate(&r);
    ck_assert_int_eq(store_put_rec(&ctx->store, NULL, UV_DB_KEYS, ref, strlen(ref),
                                   &rec_key_layout, &r, 0, &ctx->err),
                     UVS_OK);
}
static void flip_ct0(struct rec_key *r) { r->ct[0] ^= 0x01; }
static void flip_ct_last(struct rec_key *r) { r->ct[r->ct_len - 1] ^= 0x80; }
static void flip_tag(struct rec_key *r) { r->tag[15] ^= 0x10; }
static void flip_nonce(struct rec_key *r) { r->nonce[5] ^= 0x04; }
static void shorten(struct rec_key *r) { r->ct_len -= 1; }
static void rename_ref(struct rec_key *r) { strcpy(r->ref, "other"); }

START_TEST(tampered_records_fail)
{
    static void (*const muts[])(struct rec_key *) = {flip_ct0, flip_ct_last, flip_tag, flip_nonce,
                                                     shorten};
    for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "t%zu", i);
        ck_assert_int_eq(put(ref, key32, sizeof key32), UVS_OK);
        expect_key(ref, key32, sizeof key32);
        tamper(ref, muts[i]);
        uint8_t buf[UV_KEY_MAX];
        size_t len = 12345;
        memset(buf, 0, sizeof buf);
        ck_assert_msg(get(ref, buf, sizeof buf, &len) == UVS_KEY, "mutation %zu unwrapped", i);
        ck_assert_ptr_nonnull(strstr(ctx->err.message, "damaged"));
        ck_assert_uint_eq(len, 12345);
        /* the forged plaintext is wiped: no 4-byte run of the key is left */
        for (size_t j = 0; j + 4 <= sizeof key32; j++)
            ck_assert_msg(memmem(buf, sizeof buf, key32 + j, 4) == NULL,
                          "mutation %zu left key bytes in the buffer", i);
    }
    /* the ref field inside the record is informational; the DB key is bound */
    ck_assert_int_eq(put("named", key8, sizeof key8), UVS_OK);
    tamper("named", rename_ref);
    expect_key("named", key8, sizeof key8);
    /* a record that does not decode is a storage error */
    ck_assert_int_eq(store_put(&ctx->store, NULL, UV_DB_KEYS, "junk", 4, "\x01\x03\xff\xff", 4, 0,
                               &ctx->err),
                     UVS_OK);
    uint8_t buf[UV_KEY_MAX];
    size_t len;
    ck_assert_int_eq(get("junk", buf, sizeof buf, &len), UVS_STORE);
}
END_TEST

START_TEST(raw_record_has_no_clear_key)
{
    uint8_t raw[REC_BUF_MAX];
    ck_assert_int_eq(put("sts:123456:1", key8, sizeof key8), UVS_OK);
    size_t n = raw_get("sts:123456:1", raw, sizeof raw);
    ck_assert_msg(memmem(raw, n, key8, sizeof key8) == NULL, "8-byte key stored in clear");
    /* the ciphertext is the length of the key, and it is what is stored */
    struct rec_key r;
    ck_assert_int_eq(rec_decode(&rec_key_layout, raw, n, &r), 0);
    ck_assert_uint_eq(r.ct_len, 8);
    ck_assert(memcmp(r.ct, key8, 8) != 0);
    ck_assert_ptr_nonnull(memmem(raw, n, r.ct, 8));

    ck_assert_int_eq(put("big", key32, sizeof key32), UVS_OK);
    n = raw_get("big", raw, sizeof raw);
    for (size_t j = 0; j + 8 <= sizeof key32; j++)
        ck_assert_msg(memmem(raw, n, key32 + j, 8) == NULL, "32-byte key in clear at %zu", j);
}
END_TEST

/* Read every regular file directly under dir; count files and hits. */
static void scan_dir(const char *dir, const uint8_t *needle, size_t nlen, unsigned *files,
                     unsigned *hits, char *where, size_t wcap)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[8192];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        uint8_t *data = malloc((size_t)st.st_size + 1);
        ck_assert_ptr_nonnull(data);
        size_t got = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        (*files)++;
        if (memmem(data, got, needle, nlen) != NULL) {
            (*hits)++;
            snprintf(where, wcap, "%s", de->d_name);
        }
        free(data);
    }
    closedir(d);
}

START_TEST(no_clear_key_in_db_files)
{
    char dbdir[4200], where[256] = "";
    unsigned files = 0, hits = 0;
    snprintf(dbdir, sizeof dbdir, "%s/db", ctx->home);
    ck_assert_int_eq(put("vk:distinct", key32, sizeof key32), UVS_OK);
    expect_key("vk:distinct", key32, sizeof key32);
    struct rec_key r;
    ck_assert_int_eq(store_get_rec(&ctx->store, NULL, UV_DB_KEYS, "vk:distinct", 11,
                                   &rec_key_layout, &r, 0, &ctx->err),
                     UVS_OK);

    /* while open (log and regions as written so far) */
    scan_dir(dbdir, key32, sizeof key32, &files, &hits, where, sizeof where);
    ck_assert_uint_gt(files, 3);
    ck_assert_msg(hits == 0, "key in clear in %s", where);
    /* control: the search does find what is stored (the ciphertext) */
    hits = files = 0;
    scan_dir(dbdir, r.ct, 32, &files, &hits, where, sizeof where);
    ck_assert_uint_gt(hits, 0);

    /* after a clean close (checkpoint: pages written to the .db files) */
    tu_kiosk_reopen(ctx);
    hits = files = 0;
    scan_dir(dbdir, key32, sizeof key32, &files, &hits, where, sizeof where);
    ck_assert_msg(hits == 0, "key in clear in %s after close", where);
    hits = files = 0;
    scan_dir(dbdir, r.ct, 32, &files, &hits, where, sizeof where);
    ck_assert_uint_gt(hits, 0);
    /* nor any half of it */
    hits = files = 0;
    scan_dir(dbdir, key32, 16, &files, &hits, where, sizeof where);
    scan_dir(dbdir, key32 + 16, 16, &files, &hits, where, sizeof where);
    ck_assert_msg(hits == 0, "half the key in clear in %s", where);
    /* and the home directory's own files (univend.conf) */
    hits = files = 0;
    scan_dir(ctx->home, key32, 16, &files, &hits, where, sizeof where);
    ck_assert_msg(hits == 0, "key in clear in %s", where);
}
END_TEST

START_TEST(create_and_header_refusals)
{
    struct uv_keystore ks = {0};
    /* refused before anything is written */
    ck_assert_int_eq(keystore_create(&ks, &ctx->store, NULL, "abc", 1000, &ctx->err), UVS_KEY);
    ck_assert_int_eq(keystore_create(&ks, &ctx->store, NULL, NULL, 1000, &ctx->err), UVS_KEY);
    ck_assert_int_eq(keystore_create(&ks, &ctx->store, NULL, "long enough", 999, &ctx->err),
                     UVS_INPUT);
    ck_assert(!keystore_unlocked(&ks));

    /* a damaged header: iteration count out of range */
    uint8_t it[8];
    rec_u64_key(5, it);
    ck_assert_int_eq(store_meta_put(&ctx->store, NULL, "keystore.iterations", it, 8, &ctx->err),
                     UVS_OK);
    ck_assert_int_eq(keystore_unlock(&ks, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_KEY);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "damaged"));
    /* a check value of the wrong size */
    rec_u64_key(1000, it);
    ck_assert_int_eq(store_meta_put(&ctx->store, NULL, "keystore.iterations", it, 8, &ctx->err),
                     UVS_OK);
    ck_assert_int_eq(keystore_unlock(&ks, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_OK);
    keystore_lock(&ks);
    ck_assert_int_eq(store_meta_put(&ctx->store, NULL, "keystore.check", "short", 5, &ctx->err),
                     UVS_OK);
    ck_assert_int_eq(keystore_unlock(&ks, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_KEY);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "damaged"));
    /* no key store at all */
    ck_assert_int_eq(store_del(&ctx->store, NULL, UV_DB_META, "keystore.salt", 13, &ctx->err),
                     UVS_OK);
    ck_assert_int_eq(keystore_unlock(&ks, &ctx->store, TU_PASSPHRASE, &ctx->err), UVS_KEY);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "no key store"));
    ck_assert(!keystore_unlocked(&ks));
}
END_TEST

Suite *keystore_suite(void)
{
    Suite *s = suite_create("keystore");
    TCase *tc = tcase_create("keystore");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, put_get_roundtrip);
    tcase_add_test(tc, missing_duplicate_invalid);
    tcase_add_test(tc, lock_and_unlock);
    tcase_add_test(tc, unlock_after_reopen);
    tcase_add_test(tc, moved_record_does_not_unwrap);
    tcase_add_test(tc, tampered_records_fail);
    tcase_add_test(tc, raw_record_has_no_clear_key);
    tcase_add_test(tc, no_clear_key_in_db_files);
    tcase_add_test(tc, create_and_header_refusals);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
