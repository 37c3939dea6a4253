/*
 * tariff.h — what an amount of money buys, part by part.
 *
 * Prices are per kWh and VAT-exclusive, in 1/1000 of a minor unit; every
 * amount is an integer of minor units. From the amount tendered:
 *   1. debt recovery: a percentage of the amount or a fixed amount, never
 *      more than the customer's debt;
 *   2. the month's fixed charge, as far as it is not paid yet this month;
 *   3. energy, through the tariff's monthly blocks (the month's earlier
 *      purchases counted), in whole 0.1 kWh;
 *   4. levies, each a percentage of the energy cost;
 *   5. VAT on energy, levies and fixed charge;
 * and what is left from rounding to 0.1 kWh is change. The first purchase
 * of a month also carries the tariff's free lifeline units. VAT and levies
 * round as univend.conf's `rounding` says (half_up, half_even or down).
 */
#ifndef UV_TARIFF_H
#define UV_TARIFF_H

#include <stdint.h>

#include "status.h"

#define TARIFF_BLOCKS 4
#define TARIFF_LEVIES 3

enum rounding { ROUND_HALF_UP = 0, ROUND_HALF_EVEN = 1, ROUND_DOWN = 2 };

struct tariff_def {
    /* blocks: up to upto_wh[i] kWh of the month at price_milli[i]; the last
       block used has upto_wh 0 (no limit). A flat tariff is one block. */
    unsigned n_blocks;
    uint64_t upto_wh[TARIFF_BLOCKS];
    int64_t price_milli[TARIFF_BLOCKS];
    uint32_t vat_bp;
    unsigned n_levies;
    char levy_name[TARIFF_LEVIES][32];
    uint32_t levy_bp[TARIFF_LEVIES];
    int64_t fixed_monthly;      /* minor units, VAT-exclusive */
    uint64_t lifeline_wh;       /* free per month */
};

struct tariff_month {
    uint64_t bought_wh;         /* energy bought so far this month (not lifeline) */
    int64_t fixed_paid;         /* of the fixed charge this month */
    int lifeline_given;
};

struct tariff_debt {
    int64_t debt;               /* owed, minor units */
    uint32_t recover_bp;        /* take this share of each purchase... */
    int64_t recover_fixed;      /* ...or this much, whichever is set */
};

struct tariff_sale {
    int64_t tendered;
    int64_t debt_recovered;
    int64_t fixed_charge;       /* VAT-exclusive */
    int64_t energy_cost;        /* VAT-exclusive */
    int64_t levy[TARIFF_LEVIES];
    int64_t levies;
    int64_t vat;
    int64_t total;              /* what is charged: tendered - change */
    int64_t change;
    unsigned n_blocks;          /* block lines used */
    uint64_t block_wh[TARIFF_BLOCKS];
    int64_t block_price_milli[TARIFF_BLOCKS];
    int64_t block_cost[TARIFF_BLOCKS];
    uint64_t energy_wh;         /* bought */
    uint64_t lifeline_wh;       /* free, added to the token */
    struct tariff_month after;  /* the month's state after this sale */
};

int64_t tariff_round_div(__int128 num, int64_t den, enum rounding r);
/* The same sale, charged for energy_wh (at most what tariff_apply found):
   for a medium that carries a coarser step than 0.1 kWh, the customer pays
   for what the token carries and gets the rest as change. */
uv_status tariff_reprice(const struct tariff_def *t, const struct tariff_month *m,
                         const struct tariff_debt *d, int64_t tendered, uint64_t energy_wh,
                         enum rounding r, struct tariff_sale *out, struct uv_error *err);
uv_status tariff_check(const struct tariff_def *t, struct uv_error *err);
/* UVS_INPUT with a message when the amount buys no energy at all, or does
   not cover debt recovery and the fixed charge. */
uv_status tariff_apply(const struct tariff_def *t, const struct tariff_month *m,
                       const struct tariff_debt *d, int64_t tendered, enum rounding r,
                       struct tariff_sale *out, struct uv_error *err);

#endif
