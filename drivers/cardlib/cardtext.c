/* cardtext.c — text fields of card layouts. */
#include "cardtext.h"

#include <stdio.h>
#include <string.h>

#include "../univend_driver.h"

static int in_set(char c, int lower)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || (lower && c >= 'a' && c <= 'z');
}

static int all_in_set(const char *s, size_t max, int lower)
{
    size_t n = s ? strnlen(s, max + 1) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!in_set(s[i], lower))
            return 0;
    return 1;
}

int ct_type_valid(const char *s)
{
    return all_in_set(s, 15, 0);
}

int ct_meter_valid(const char *s, size_t max)
{
    return all_in_set(s, max, 1);
}

int ct_field_get(const uint8_t *field, size_t cap, char *out)
{
    size_t n = 0;
    while (n < cap && field[n] != 0)
        n++;
    for (size_t i = n; i < cap; i++)
        if (field[i] != 0)
            return -1;
    memcpy(out, field, n);
    out[n] = '\0';
    return 0;
}

int ct_field_put(uint8_t *field, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n > cap)
        return -1;
    memset(field, 0, cap);
    memcpy(field, s, n);
    return 0;
}

const char *ct_unit(uint32_t kind)
{
    switch (kind) {
    case UV_CREDIT_ELECTRICITY: return "Wh";
    case UV_CREDIT_WATER:
    case UV_CREDIT_GAS: return "L";
    case UV_CREDIT_TIME: return "s";
    default: return "(minor units)";
    }
}

void ct_hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nib(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long ct_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = nib(s[2 * i]), b = nib(s[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return (long)(n / 2);
}
