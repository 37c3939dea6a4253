/* test_trust.c — head office's signing key and the kiosk's trust list. */
#include <string.h>

#include "audit.h"
#include "clerks.h"
#include "digest.h"
#include "ed25519.h"
#include "hqkey.h"
#include "testutil.h"
#include "trust.h"

static void new_key(uint8_t pub[32], char hex[65])
{
    uint8_t secret[32];
    struct uv_error e;
    ck_assert(ed25519_generate(secret, pub, &e) == UVS_OK);
    digest_hex(pub, 32, hex);
}

START_TEST(hq_key_signs_and_verifies)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    uint8_t pub[32], pub2[32], sig[64];
    ck_assert_int_eq(hqkey_public(ctx, pub), UVS_NOTFOUND);
    ck_assert_int_eq(hqkey_sign(ctx, "m", 1, sig, pub), UVS_NOTFOUND);
    ck_assert_int_eq(hqkey_generate(ctx, pub), UVS_OK);
    ck_assert_int_eq(hqkey_generate(ctx, pub2), UVS_EXISTS);
    ck_assert_int_eq(hqkey_public(ctx, pub2), UVS_OK);
    ck_assert_mem_eq(pub, pub2, 32);
    ck_assert_int_eq(hqkey_sign(ctx, "message", 7, sig, pub2), UVS_OK);
    ck_assert_int_eq(ed25519_verify(pub, "message", 7, sig, &ctx->err), UVS_OK);
    ck_assert_int_eq(ed25519_verify(pub, "messagf", 7, sig, &ctx->err), UVS_REFUSED);
    /* survives a reopen, still wrapped under the passphrase */
    tu_kiosk_reopen(ctx);
    ck_assert_int_eq(hqkey_public(ctx, pub2), UVS_OK);
    ck_assert_mem_eq(pub, pub2, 32);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(trust_check_follows_add_and_revoke)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    uint8_t a[32], b[32];
    char ha[65], hb[65];
    struct rec_trust t;
    new_key(a, ha);
    new_key(b, hb);
    ck_assert_int_eq(trust_check(ctx, NULL, a, &t), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "does not trust"));
    ck_assert_int_eq(trust_add(ctx, "HQ-A", ha), UVS_OK);
    ck_assert_int_eq(trust_check(ctx, NULL, a, &t), UVS_OK);
    ck_assert_str_eq(t.name, "HQ-A");
    ck_assert_int_eq(trust_check(ctx, NULL, b, &t), UVS_REFUSED);
    ck_assert_int_eq(trust_add(ctx, "HQ-A", hb), UVS_EXISTS); /* name taken */
    ck_assert_int_eq(trust_add(ctx, "bad name", hb), UVS_INPUT);
    ck_assert_int_eq(trust_revoke(ctx, "HQ-A"), UVS_OK);
    ck_assert_int_eq(trust_check(ctx, NULL, a, &t), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "revoked"));
    ck_assert_int_eq(trust_add(ctx, "HQ-A2", ha), UVS_REFUSED);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(revoke_by_key_inside_a_transaction)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    uint8_t a[32], b[32];
    char ha[65], hb[65];
    new_key(a, ha);
    new_key(b, hb);
    ck_assert_int_eq(trust_add(ctx, "HQ-A", ha), UVS_OK);
    /* aborted: nothing changes */
    DB_TXN *txn;
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(trust_revoke_key_txn(ctx, txn, a, "instruction 1"), UVS_OK);
    store_abort(txn);
    ck_assert_int_eq(trust_check(ctx, NULL, a, NULL), UVS_OK);
    /* committed: revoked, and an unknown key is remembered as revoked */
    ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(trust_revoke_key_txn(ctx, txn, a, "instruction 1"), UVS_OK);
    ck_assert_int_eq(trust_revoke_key_txn(ctx, txn, b, "instruction 1"), UVS_OK);
    ck_assert_int_eq(store_commit(&ctx->store, txn, &ctx->err), UVS_OK);
    ck_assert_int_eq(trust_check(ctx, NULL, a, NULL), UVS_REFUSED);
    ck_assert_int_eq(trust_check(ctx, NULL, b, NULL), UVS_REFUSED);
    ck_assert_int_eq(trust_add(ctx, "HQ-B", hb), UVS_REFUSED);
    uint64_t n;
    ck_assert_int_eq(audit_verify(ctx, &n), UVS_OK);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(clerk_session_cannot_change_trust)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    uint8_t a[32];
    char ha[65];
    new_key(a, ha);
    ck_assert_int_eq(trust_add(ctx, "HQ-A", ha), UVS_OK);
    ctx->role = UV_ROLE_CLERK;
    uint8_t b[32];
    char hb[65];
    new_key(b, hb);
    ck_assert_int_eq(trust_add(ctx, "HQ-B", hb), UVS_REFUSED);
    ck_assert_int_eq(trust_revoke(ctx, "HQ-A"), UVS_REFUSED);
    ctx->role = UV_ROLE_SUPERVISOR;
    ck_assert_int_eq(trust_revoke(ctx, "HQ-A"), UVS_OK);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *trust_suite(void)
{
    Suite *s = suite_create("trust");
    TCase *tc = tcase_create("trust");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, hq_key_signs_and_verifies);
    tcase_add_test(tc, trust_check_follows_add_and_revoke);
    tcase_add_test(tc, revoke_by_key_inside_a_transaction);
    tcase_add_test(tc, clerk_session_cannot_change_trust);
    suite_add_tcase(s, tc);
    return s;
}
