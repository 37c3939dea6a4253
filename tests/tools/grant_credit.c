/*
 * grant_credit.c — TEST FIXTURE ONLY: apply a vending credit grant to a
 * kiosk's store directly, the way an instruction file's transaction does.
 *
 *   grant-credit HOME ID MONEY_MINOR ENERGY_WH EXPIRES_UNIX [WARN_MINOR WARN_WH]
 *
 * Built into build/test-tools/ for the end-to-end tests and never installed:
 * on a kiosk, credit arrives only in a signed instruction file.
 */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credit.h"
#include "univend.h"

static int num(const char *s, long long *v)
{
    char *end;
    *v = strtoll(s, &end, 10);
    return *s && *end == '\0';
}

int main(int argc, char **argv)
{
    static struct uv_ctx ctx;
    struct rec_credit_grant g;
    long long money, wh, exp, wm = 0, ww = 0;
    if ((argc != 6 && argc != 8) || !num(argv[3], &money) || !num(argv[4], &wh) ||
        !num(argv[5], &exp) || (argc == 8 && (!num(argv[6], &wm) || !num(argv[7], &ww)))) {
        fprintf(stderr, "usage: grant-credit HOME ID MONEY_MINOR ENERGY_WH EXPIRES_UNIX "
                        "[WARN_MINOR WARN_WH]\n");
        return 2;
    }
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    memset(&g, 0, sizeof g);
    snprintf(g.id, sizeof g.id, "%s", argv[2]);
    g.money = money;
    g.energy_wh = (uint64_t)wh;
    g.expires = exp;
    g.warn_money = wm;
    g.warn_wh = (uint64_t)ww;
    uv_ctx_init(&ctx, argv[1], "test-fixture");
    uv_status st = uv_ctx_open(&ctx);
    DB_TXN *txn = NULL;
    if (st == UVS_OK)
        st = store_begin(&ctx.store, &txn, &ctx.err);
    if (st == UVS_OK) {
        st = credit_grant(&ctx, txn, &g);
        if (st == UVS_OK)
            st = store_commit(txn, &ctx.err);
        else
            store_abort(txn);
    }
    if (st != UVS_OK)
        fprintf(stderr, "grant-credit: %s\n", ctx.err.message);
    uv_ctx_close(&ctx);
    return (int)st;
}
