/*
 * money.h — money as integer minor units: parsing and formatting.
 *
 * No floating point touches money. Amounts are parsed from text with the
 * currency's number of decimals, and every division says how it rounds.
 */
#ifndef UV_MONEY_H
#define UV_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* "50", "50.0", "50.00" -> 5000 with decimals = 2. No sign, no exponent,
   no grouping, at most `decimals` fraction digits, at most 1e15 minor units. */
uv_status money_parse(const char *text, unsigned decimals, int64_t *out, struct uv_error *err);
/* 5000 -> "50.00". buf of at least 32 bytes. */
void money_format(int64_t minor, unsigned decimals, char *buf, size_t cap);

/* A price per kWh: "0.1523" with decimals = 2 -> 15230 milli-minor units
   (at most 3 extra digits beyond the currency's decimals). */
uv_status price_parse(const char *text, unsigned decimals, int64_t *milli, struct uv_error *err);
void price_format(int64_t milli, unsigned decimals, char *buf, size_t cap);
/* "15" or "15.5" percent -> basis points (1500, 1550). 0..100 %. */
uv_status percent_parse(const char *text, uint32_t *bp, struct uv_error *err);

/* Energy as "12.3" kWh (Wh in, one decimal out, rounded down). */
void energy_format(uint64_t wh, char *buf, size_t cap);

#endif
