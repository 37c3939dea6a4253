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

uv_status tariff_apply(const struct tariff_def *t, const struct tariff_month *m,
                       const struct tariff_debt *d, int64_t tendered, enum rounding r,
                       struct tariff_sale *s, struct uv_error *err)
{
    memset(s, 0, sizeof *s);
    if (tariff_check(t, err) != UVS_OK)
        return UVS_INPUT;
    if (tendered <= 0)
        return uv_fail(err, UVS_INPUT, "the amount must be greater than zero");
    s->tendered = tendered;
    /* 1. debt recovery */
    if (d && d->debt > 0) {
        int64_t want = d->recover_fixed > 0
                           ? d->recover_fixed
                           : tariff_round_div((__int128)tendered * d->recover_bp, 10000, r);
        s->debt_recovered = want < d->debt ? want : d->debt;
        if (s->debt_recovered > tendered)
            s->debt_recovered = tendered;
    }
    int64_t avail = tendered - s->debt_recovered;
    /* 2. the fixed charge still owed this month (VAT-inclusive share) */
    int64_t fixed_owed = t->fixed_monthly - m->fixed_paid;
    if (fixed_owed < 0)
        fixed_owed = 0;
    int64_t fixed = fixed_owed;
    int64_t fixed_incl = fixed + tariff_round_div((__int128)fixed * t->vat_bp, 10000, r);
    if (fixed_incl > avail) {
        /* pay what the amount allows of it; buys no energy then */
        fixed = tariff_round_div((__int128)avail * 10000, 10000 + t->vat_bp, ROUND_DOWN);
    }
    /* 3. the most energy (in 0.1 kWh) whose full charge fits: binary search */
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
    s->energy_wh = lo * 100;
    int64_t charge = charge_for(t, m->bought_wh, s->energy_wh, fixed, r, s);
    /* 4. lifeline, once a month */
    s->after = *m;
    if (!m->lifeline_given && t->lifeline_wh) {
        s->lifeline_wh = t->lifeline_wh;
        s->after.lifeline_given = 1;
    }
    if (s->energy_wh == 0 && s->lifeline_wh == 0)
        return uv_fail(err, UVS_INPUT,
                       s->debt_recovered || fixed
                           ? "the amount only covers debt recovery and the fixed charge: it buys "
                             "no energy"
                           : "the amount buys no energy at this tariff (less than 0.1 kWh)");
    s->after.bought_wh = m->bought_wh + s->energy_wh;
    s->after.fixed_paid = m->fixed_paid + fixed;
    s->total = s->debt_recovered + charge;
    s->change = tendered - s->total;
    return UVS_OK;
}
