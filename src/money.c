/* money.c — parsing and formatting minor units. */
#include "money.h"

#include <stdio.h>
#include <string.h>

#define MONEY_MAX 1000000000000000LL /* 1e15 minor units */

/* Parse digits[.digits] with at most max_frac fraction digits, scaled to
   `scale` fraction digits. */
static int parse_fixed(const char *t, unsigned max_frac, unsigned scale, int64_t *out)
{
    int64_t v = 0;
    unsigned frac = 0, ndig = 0;
    int seen_dot = 0;
    if (t == NULL || *t == '\0')
        return -1;
    for (const char *p = t; *p; p++) {
        if (*p == '.') {
            if (seen_dot || ndig == 0)
                return -1;
            seen_dot = 1;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        if (seen_dot && ++frac > max_frac)
            return -1;
        if (v > MONEY_MAX)
            return -1;
        v = v * 10 + (*p - '0');
        ndig++;
    }
    if (seen_dot && frac == 0)
        return -1;
    for (; frac < scale; frac++) {
        if (v > MONEY_MAX)
            return -1;
        v *= 10;
    }
    if (v > MONEY_MAX * 1000)
        return -1;
    *out = v;
    return 0;
}

uv_status money_parse(const char *text, unsigned decimals, int64_t *out, struct uv_error *err)
{
    int64_t v;
    if (text && text[0] == '-')
        return uv_fail(err, UVS_INPUT, "amount '%s' is negative", text);
    if (parse_fixed(text, decimals, decimals, &v) != 0 || v > MONEY_MAX)
        return uv_fail(err, UVS_INPUT,
                       "amount '%s' is not a valid amount (digits, at most %u decimals)",
                       text ? text : "", decimals);
    *out = v;
    return UVS_OK;
}

static void fixed_format(int64_t v, unsigned decimals, char *buf, size_t cap)
{
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint64_t div = 1;
    for (unsigned i = 0; i < decimals; i++)
        div *= 10;
    if (decimals == 0)
        snprintf(buf, cap, "%s%llu", neg ? "-" : "", (unsigned long long)u);
    else
        snprintf(buf, cap, "%s%llu.%0*llu", neg ? "-" : "", (unsigned long long)(u / div),
                 (int)decimals, (unsigned long long)(u % div));
}

void money_format(int64_t minor, unsigned decimals, char *buf, size_t cap)
{
    fixed_format(minor, decimals, buf, cap);
}

uv_status price_parse(const char *text, unsigned decimals, int64_t *milli, struct uv_error *err)
{
    int64_t v;
    if (parse_fixed(text, decimals + 3, decimals + 3, &v) != 0 || v <= 0)
        return uv_fail(err, UVS_INPUT,
                       "price '%s' is not a positive price (at most %u decimals)",
                       text ? text : "", decimals + 3);
    *milli = v;
    return UVS_OK;
}

void price_format(int64_t milli, unsigned decimals, char *buf, size_t cap)
{
    fixed_format(milli, decimals + 3, buf, cap);
    /* drop the extra zeros beyond the currency's decimals: 1.50000 -> 1.50 */
    char *dot = strchr(buf, '.');
    if (dot == NULL)
        return;
    size_t keep = (size_t)(dot - buf) + 1 + decimals, n = strlen(buf);
    while (n > keep && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n == (size_t)(dot - buf) + 1)
        buf[--n] = '\0'; /* no decimals at all: no dot */
}

uv_status percent_parse(const char *text, uint32_t *bp, struct uv_error *err)
{
    int64_t v;
    if (parse_fixed(text, 2, 2, &v) != 0 || v > 10000)
        return uv_fail(err, UVS_INPUT, "rate '%s' is not a percentage from 0 to 100",
                       text ? text : "");
    *bp = (uint32_t)v;
    return UVS_OK;
}

void energy_format(uint64_t wh, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%llu", (unsigned long long)(wh / 1000),
             (unsigned long long)(wh % 1000 / 100));
}
