/* instruct_credit.c — instruction records for the vending credit and the
   kiosk's clock: credit (a grant, credit.h) and time-floor (head office's
   time as the clock's floor, clock.h). */
#include <string.h>
#include <time.h>

#include "clock.h"
#include "credit.h"
#include "instruct_apply.h"
#include "masterdata.h"

static uv_status bad(struct uv_error *err, const char *what)
{
    return uv_fail(err, UVS_INPUT, "%s", what);
}

/* ---- credit: GRANT_ID,MONEY_MINOR,ENERGY_WH,EXPIRES[,WARN_MINOR[,WARN_WH]] ---- */

uv_status ik_credit_grant(const struct instr_record *r, struct rec_credit_grant *g,
                         struct uv_error *err)
{
    uint64_t energy = 0, warn_wh = 0;
    memset(g, 0, sizeof *g);
    if (!md_id_valid(r->f[0]))
        return bad(err, "the credit grant id is invalid (1-31 of A-Z a-z 0-9 . _ -)");
    snprintf(g->id, sizeof g->id, "%s", r->f[0]);
    if (ik_i64(r->f[1], &g->money) != 0 || g->money < 0)
        return bad(err, "the money granted is not a whole number of minor units (0 or more)");
    if (ik_u64(r->f[2], &energy) != 0)
        return bad(err, "the energy granted is not a whole number of Wh");
    if (ik_i64(r->f[3], &g->expires) != 0 || g->expires <= 0)
        return bad(err, "the credit's expiry is not a time (Unix seconds, UTC)");
    if (r->nf > 4 && (ik_i64(r->f[4], &g->warn_money) != 0 || g->warn_money < 0))
        return bad(err, "the money warning level is not a whole number of minor units");
    if (r->nf > 5 && ik_u64(r->f[5], &warn_wh) != 0)
        return bad(err, "the energy warning level is not a whole number of Wh");
    g->energy_wh = energy;
    g->warn_wh = warn_wh;
    return UVS_OK;
}

uv_status ik_credit_check(const struct instr_record *r, struct uv_error *err)
{
    struct rec_credit_grant g;
    return ik_credit_grant(r, &g, err);
}

uv_status ik_credit_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_credit_grant g;
    uv_status st = ik_credit_grant(r, &g, &ctx->err);
    if (st != UVS_OK)
        return st;
    g.instruction = r->run ? r->run->seq : 0;
    if ((st = credit_grant(ctx, txn, &g)) == UVS_OK && r->run)
        r->run->other++;
    return st;
}

/* ---- time-floor: UNIX_TIME -------------------------------------------- */

uv_status ik_time_floor_check(const struct instr_record *r, struct uv_error *err)
{
    int64_t t;
    if (ik_i64(r->f[0], &t) != 0 || t <= 0)
        return bad(err, "the time floor is not a time (Unix seconds, UTC)");
    /* a floor can never be lowered: one later than head office's own time
       (a typo, milliseconds) would stop the kiosk's sales for good */
    int64_t limit = r->h ? r->h->created : (int64_t)time(NULL);
    if (t > limit)
        return bad(err, "the time floor is later than head office's time: a floor can never be "
                        "lowered, so it may not be in the future");
    return UVS_OK;
}

uv_status ik_time_floor_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    int64_t t = 0;
    ik_i64(r->f[0], &t);
    return clock_raise_floor_hq(ctx, txn, t);
}
