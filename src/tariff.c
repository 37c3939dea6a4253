/* tariff.c — debt, fixed charge, blocks, levies, VAT, lifeline, change. */
#include "tariff.h"

#include <string.h>

int64_t tariff_round_div(__int128 num, int64_t den, enum rounding r)
{
    /* num >= 0, den > 0 */
    __int128 q = num / den, rem = num % den;
    if (r == ROUND_DOWN)
        return (int64_t)q;
    __int128 twice = rem * 2;
    if (twice > den || (twice == den && (r == ROUND_HALF_UP || (q & 1))))
        q++;
    return (int64_t)q;
}

uv_status tariff_check(const struct tariff_def *t, struct uv_error *err)
{
    if (t->n_blocks == 0 || t->n_blocks > TARIFF_BLOCKS)
        return uv_fail(err, UVS_INPUT, "a tariff has 1 to %d blocks", TARIFF_BLOCKS);
    for (unsigned i = 0; i < t->n_blocks; i++) {
        if (t->price_milli[i] <= 0)
            return uv_fail(err, UVS_INPUT, "block %u has no price", i + 1);
        int last = i + 1 == t->n_blocks;
        if (last != (t->upto_wh[i] == 0))
            return uv_fail(err, UVS_INPUT, "only the last block is open-ended (up to 0)");
        if (!last && i > 0 && t->upto_wh[i] <= t->upto_wh[i - 1])
            return uv_fail(err, UVS_INPUT, "block limits must increase");
        if (!last && t->upto_wh[i] % 100)
            return uv_fail(err, UVS_INPUT, "block limits are whole 0.1 kWh");
    }
    uint64_t levies = 0;
    for (unsigned i = 0; i < t->n_levies; i++)
        levies += t->levy_bp[i];
    if (t->n_levies > TARIFF_LEVIES || levies > 10000 || t->vat_bp > 10000)
        return uv_fail(err, UVS_INPUT, "levies and VAT are at most 100 %% each");
    if (t->fixed_monthly < 0 || t->lifeline_wh % 100)
        return uv_fail(err, UVS_INPUT, "fixed charge must be >= 0, lifeline whole 0.1 kWh");
    return UVS_OK;
}

/* Cost of e_wh more energy when b_wh were bought this month, in
   Wh * milli-minor/kWh (divide by 10^6 for minor units), filling the
   per-block lines. */
static __int128 energy_cost_raw(const struct tariff_def *t, uint64_t b_wh, uint64_t e_wh,
                                struct tariff_sale *s)
{
    __int128 cost = 0;
    s->n_blocks = 0;
    uint64_t pos = b_wh, left = e_wh;
    for (unsigned i = 0; i < t->n_blocks && left; i++) {
        uint64_t top = t->upto_wh[i] ? t->upto_wh[i] : UINT64_MAX;
        if (pos >= top)
            continue;
        uint64_t take = top - pos < left ? top - pos : left;
        s->block_wh[s->n_blocks] = take;
        s->block_price_milli[s->n_blocks] = t->price_milli[i];
        s->n_blocks++;
        cost += (__int128)take * t->price_milli[i];
        pos += take;
        left -= take;
    }
    return cost;
}

/* Charge (VAT-inclusive, minor) of e_wh, filling the parts of s. */
static int64_t charge_for(const struct tariff_def *t, uint64_t b_wh, uint64_t e_wh, int64_t fixed,
                          enum rounding r, struct tariff_sale *s)
{
    __int128 raw = energy_cost_raw(t, b_wh, e_wh, s);
    for (unsigned i = 0; i < s->n_blocks; i++)
        s->block_cost[i] =
            tariff_round_div((__int128)s->block_wh[i] * s->block_price_milli[i], 1000000, r);
    s->energy_cost = tariff_round_div(raw, 1000000, r);
    s->levies = 0;
    for (unsigned i = 0; i < t->n_levies; i++) {
        s->levy[i] = tariff_round_div((__int128)s->energy_cost * t->levy_bp[i], 10000, r);
        s->levies += s->levy[i];
    }
    s->fixed_charge = fixed;
    s->vat = tariff_round_div((__int128)(s->energy_cost + s->levies + fixed) * t->vat_bp, 10000, r);
    return s->energy_cost + s->levies + fixed + s->vat;
}

/* Debt recovered and the fixed charge this sale pays, before energy. */
static void debt_and_fixed(const struct tariff_def *t, const struct tariff_month *m,
                           const struct tariff_debt *d, int64_t tendered, enum rounding r,
                           int64_t *debt_recovered, int64_t *fixed)
{
    *debt_recovered = 0;
    if (d && d->debt > 0) {
        int64_t want = d->recover_fixed > 0
                           ? d->recover_fixed
                           : tariff_round_div((__int128)tendered * d->recover_bp, 10000, r);
        *debt_recovered = want < d->debt ? want : d->debt;
        if (*debt_recovered > tendered)
            *debt_recovered = tendered;
    }
    int64_t avail = tendered - *debt_recovered;
    int64_t owed = t->fixed_monthly - m->fixed_paid;
    *fixed = owed > 0 ? owed : 0;
    int64_t incl = *fixed + tariff_round_div((__int128)*fixed * t->vat_bp, 10000, r);
    if (incl > avail) /* pay what the amount allows of it */
        *fixed = tariff_round_div((__int128)avail * 10000, 10000 + t->vat_bp, ROUND_DOWN);
}

/* Fill every part of s for energy_wh, given debt and fixed. */
static uv_status settle(const struct tariff_def *t, const struct tariff_month *m, int64_t tendered,
                        int64_t debt_recovered, int64_t fixed, uint64_t energy_wh, enum rounding r,
                        struct tariff_sale *s, struct uv_error *err)
{
    memset(s, 0, sizeof *s);
    s->tendered = tendered;
    s->debt_recovered = debt_recovered;
    s->energy_wh = energy_wh;
    int64_t charge = charge_for(t, m->bought_wh, energy_wh, fixed, r, s);
    s->after = *m;
    if (!m->lifeline_given && t->lifeline_wh) {
        s->lifeline_wh = t->lifeline_wh;
        s->after.lifeline_given = 1;
    }
    if (s->energy_wh == 0 && s->lifeline_wh == 0)
        return uv_fail(err, UVS_INPUT,
                       debt_recovered || fixed
                           ? "the amount only covers debt recovery and the fixed charge: it buys "
                             "no energy"
                           : "the amount buys no energy at this tariff (less than 0.1 kWh)");
    s->after.bought_wh = m->bought_wh + s->energy_wh;
    s->after.fixed_paid = m->fixed_paid + fixed;
    s->total = debt_recovered + charge;
    s->change = tendered - s->total;
    return s->change < 0 ? uv_fail(err, UVS_INPUT, "the charge exceeds the amount") : UVS_OK;
}

uv_status tariff_apply(const struct tariff_def *t, const struct tariff_month *m,
                       const struct tariff_debt *d, int64_t tendered, enum rounding r,
                       struct tariff_sale *s, struct uv_error *err)
{
    int64_t debt_recovered, fixed;
    memset(s, 0, sizeof *s);
    if (tariff_check(t, err) != UVS_OK)
        return UVS_INPUT;
    if (tendered <= 0)
        return uv_fail(err, UVS_INPUT, "the amount must be greater than zero");
    debt_and_fixed(t, m, d, tendered, r, &debt_recovered, &fixed);
    int64_t avail = tendered - debt_recovered;
    /* the most energy (in 0.1 kWh) whose full charge fits: charges grow with
       energy, so search */
    uint64_t lo = 0, hi = 1;
    struct tariff_sale probe;
    while (hi < (UINT64_C(1) << 40) &&
           charge_for(t, m->bought_wh, hi * 100, fixed, r, &probe) <= avail)
        hi *= 2;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (charge_for(t, m->bought_wh, mid * 100, fixed, r, &probe) <= avail)
            lo = mid;
        else
            hi = mid;
    }
    return settle(t, m, tendered, debt_recovered, fixed, lo * 100, r, s, err);
}

uv_status tariff_reprice(const struct tariff_def *t, const struct tariff_month *m,
                         const struct tariff_debt *d, int64_t tendered, uint64_t energy_wh,
                         enum rounding r, struct tariff_sale *s, struct uv_error *err)
{
    int64_t debt_recovered, fixed;
    if (tariff_check(t, err) != UVS_OK || tendered <= 0)
        return UVS_INPUT;
    debt_and_fixed(t, m, d, tendered, r, &debt_recovered, &fixed);
    return settle(t, m, tendered, debt_recovered, fixed, energy_wh, r, s, err);
}
