/* test_clerks.c — clerks, PIN hashing, lockout, and what is audited. */
#include <gcrypt.h>
#include <string.h>
#include <time.h>

#include "clerks.h"
#include "masterdata.h"
#include "report.h"
#include "typeindex.h"
#include "testutil.h"

static unsigned audit_actions(struct uv_ctx *ctx, const char *action)
{
    struct rec_audit a;
    uint8_t buf[REC_BUF_MAX];
    uint64_t n = 0;
    unsigned count = 0;
    ck_assert(store_counter_peek(&ctx->store, NULL, "audit.seq", &n, &ctx->err) == UVS_OK);
    for (uint64_t i = 1; i <= n; i++) {
        uint8_t key[8];
        size_t len;
        rec_u64_key(i, key);
        ck_assert(store_get(&ctx->store, NULL, UV_DB_AUDIT, key, 8, buf, sizeof buf, &len, 0,
                            &ctx->err) == UVS_OK);
        ck_assert(rec_decode(&rec_audit_layout, buf, len, &a) == 0);
        if (strcmp(a.action, action) == 0)
            count++;
    }
    return count;
}

static struct uv_ctx *kiosk_with_clerk(void)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    ctx->cfg.pin_kdf_iterations = 1000;
    ck_assert_msg(clerk_add(ctx, "ann", "Ann Clerk", UV_ROLE_CLERK, "2468") == UVS_OK, "%s",
                  ctx->err.message);
    return ctx;
}

START_TEST(login_right_pin_sets_actor_and_role)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    struct rec_clerk c;
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", &c), UVS_OK);
    ck_assert_str_eq(ctx->actor, "ann");
    ck_assert_uint_eq(ctx->role, UV_ROLE_CLERK);
    ck_assert_uint_eq(c.failed, 0);
    ck_assert_uint_eq(audit_actions(ctx, "login"), 1);
    clerk_logout(ctx);
    ck_assert_uint_eq(ctx->role, UV_ROLE_NOBODY);
    /* nobody logged in: no supervisor action */
    ck_assert_int_eq(clerk_set_disabled(ctx, "ann", 1), UVS_REFUSED);
    ck_assert_uint_eq(audit_actions(ctx, "logout"), 1);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(pin_is_not_stored_and_not_guessable_without_pepper)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    uint8_t raw[REC_BUF_MAX];
    size_t len;
    ck_assert(store_get(&ctx->store, NULL, UV_DB_CLERKS, "ann", 3, raw, sizeof raw, &len, 0,
                        &ctx->err) == UVS_OK);
    ck_assert_ptr_null(memmem(raw, len, "2468", 4));
    /* the hash is not plain PBKDF2 of the PIN with the stored salt */
    struct rec_clerk c;
    ck_assert(clerk_get(ctx, "ann", &c) == UVS_OK);
    uint8_t plain[32];
    ck_assert(gcry_kdf_derive("2468", 4, GCRY_KDF_PBKDF2, GCRY_MD_SHA256, c.salt, 16,
                              c.kdf_iterations, 32, plain) == 0);
    ck_assert(memcmp(plain, c.pin_hash, 32) != 0);
    /* the pepper lives wrapped in the key store */
    size_t plen = 0;
    ck_assert(keystore_get(&ctx->keys, &ctx->store, "kiosk:pin-pepper", NULL, 0, &plen,
                           &ctx->err) == UVS_OK);
    ck_assert_uint_eq(plen, 32);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(wrong_pins_lock_the_clerk)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    ctx->cfg.pin_max_tries = 5;
    ctx->cfg.pin_lockout_minutes = 15;
    for (int i = 1; i <= 4; i++) {
        ck_assert_int_eq(clerk_login(ctx, "ann", "0000", NULL), UVS_REFUSED);
        ck_assert_ptr_nonnull(strstr(ctx->err.message, "wrong clerk id or PIN"));
    }
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "1 try left"));
    ck_assert_int_eq(clerk_login(ctx, "ann", "0000", NULL), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "now locked for 15 minutes"));
    /* locked: even the right PIN is refused */
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", NULL), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "locked for 15 more minutes"));
    ck_assert_uint_eq(ctx->role, 0); /* failed logins leave the role alone */
    ck_assert_uint_eq(audit_actions(ctx, "login.locked"), 1);
    ck_assert_uint_ge(audit_actions(ctx, "login.failed"), 5);
    /* the lock runs out: simulate by moving locked_until into the past */
    struct rec_clerk c;
    ck_assert(clerk_get(ctx, "ann", &c) == UVS_OK);
    c.locked_until = (int64_t)time(NULL) - 1;
    ck_assert(store_put_rec(&ctx->store, NULL, UV_DB_CLERKS, "ann", 3, &rec_clerk_layout, &c, 0,
                            &ctx->err) == UVS_OK);
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", NULL), UVS_OK);
    ck_assert(clerk_get(ctx, "ann", &c) == UVS_OK);
    ck_assert_uint_eq(c.failed, 0);
    ck_assert_int_eq(c.locked_until, 0);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(supervisor_resets_pin_and_unlocks)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    ctx->cfg.pin_max_tries = 2;
    clerk_login(ctx, "ann", "1111", NULL);
    clerk_login(ctx, "ann", "1111", NULL);
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", NULL), UVS_REFUSED);
    ck_assert_int_eq(clerk_set_pin(ctx, "ann", "97531"), UVS_OK);
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", NULL), UVS_REFUSED);
    ck_assert_int_eq(clerk_login(ctx, "ann", "97531", NULL), UVS_OK);
    ctx->role = 0; /* back at the command line */
    ck_assert_int_eq(clerk_set_disabled(ctx, "ann", 1), UVS_OK);
    ck_assert_int_eq(clerk_login(ctx, "ann", "97531", NULL), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "disabled"));
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(bad_clerk_input_refused)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    ck_assert_int_eq(clerk_add(ctx, "ann", "Again", UV_ROLE_CLERK, "1234"), UVS_EXISTS);
    ck_assert_int_eq(clerk_add(ctx, "bob", "Bob", UV_ROLE_CLERK, "12a4"), UVS_INPUT);
    ck_assert_int_eq(clerk_add(ctx, "bob", "Bob", UV_ROLE_CLERK, "123"), UVS_INPUT);
    ck_assert_int_eq(clerk_add(ctx, "bob", "Bob", 7, "1234"), UVS_INPUT);
    ck_assert_int_eq(clerk_add(ctx, "b b", "Bob", UV_ROLE_CLERK, "1234"), UVS_INPUT);
    ck_assert_int_eq(clerk_add(ctx, "bob", "", UV_ROLE_CLERK, "1234"), UVS_INPUT);
    /* unknown clerk: the same message as a wrong PIN, and audited */
    ck_assert_int_eq(clerk_login(ctx, "nobody", "1234", NULL), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "wrong clerk id or PIN"));
    ck_assert_int_eq(clerk_login(ctx, "ann", "", NULL), UVS_REFUSED);
    ck_assert_uint_eq(clerk_role_parse("supervisor"), UV_ROLE_SUPERVISOR);
    ck_assert_uint_eq(clerk_role_parse("root"), 0);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(roles_are_enforced_by_the_core)
{
    struct uv_ctx *ctx = kiosk_with_clerk();
    ck_assert(clerk_add(ctx, "sue", "Sue Supervisor", UV_ROLE_SUPERVISOR, "1357") == UVS_OK);
    ck_assert_int_eq(clerk_login(ctx, "ann", "2468", NULL), UVS_OK);
    struct rec_customer c = {.id = "C9", .name = "Nine"};
    ck_assert_int_eq(customer_add(ctx, &c), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "only a supervisor may add customers"));
    ck_assert_int_eq(tariff_add(ctx, "T9", "Nine", "1.00", "0"), UVS_REFUSED);
    ck_assert_int_eq(clerk_add(ctx, "eve", "Eve", UV_ROLE_SUPERVISOR, "1234"), UVS_REFUSED);
    ck_assert_int_eq(clerk_set_pin(ctx, "sue", "9999"), UVS_REFUSED);
    ck_assert_int_eq(typeindex_register(ctx, "sts.so", NULL, NULL), UVS_REFUSED);
    struct uv_report r;
    ck_assert(report_day(ctx, &r) == UVS_OK);
    ck_assert_int_eq(report_close(ctx, &r, NULL), UVS_REFUSED);
    ck_assert(report_shift(ctx, "sue", &r) == UVS_OK);
    ck_assert_int_eq(report_close(ctx, &r, NULL), UVS_REFUSED); /* another clerk's shift */
    ck_assert(report_shift(ctx, "ann", &r) == UVS_OK);
    ck_assert_int_eq(report_close(ctx, &r, NULL), UVS_OK); /* her own */
    ck_assert_uint_ge(audit_actions(ctx, "denied"), 5);
    clerk_logout(ctx);
    ck_assert_int_eq(clerk_login(ctx, "sue", "1357", NULL), UVS_OK);
    ck_assert_int_eq(customer_add(ctx, &c), UVS_OK);
    ck_assert(report_day(ctx, &r) == UVS_OK);
    ck_assert_int_eq(report_close(ctx, &r, NULL), UVS_OK);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *clerks_suite(void)
{
    Suite *s = suite_create("clerks");
    TCase *tc = tcase_create("login");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, login_right_pin_sets_actor_and_role);
    tcase_add_test(tc, pin_is_not_stored_and_not_guessable_without_pepper);
    tcase_add_test(tc, wrong_pins_lock_the_clerk);
    tcase_add_test(tc, supervisor_resets_pin_and_unlocks);
    tcase_add_test(tc, bad_clerk_input_refused);
    tcase_add_test(tc, roles_are_enforced_by_the_core);
    suite_add_tcase(s, tc);
    return s;
}
