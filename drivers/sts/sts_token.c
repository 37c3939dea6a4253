/*
 * sts_token.c - IEC 62055-41 (STS) token data layout primitives.
 * See sts_token.h for the definitions and conventions.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* strnlen() when built with a strict -std=c11 */
#endif

#include "sts_token.h"

#include <string.h>

#define AMOUNT_MANTISSA_MAX UINT64_C(16383) /* 2^14 - 1 */

/* 10^e and the offset sum_{n=1..e} 2^14 * 10^(n-1), for e = 0..3. */
static const uint64_t amount_scale[4] = { 1, 10, 100, 1000 };
static const uint64_t amount_offset[4] = { 0, 16384, 180224, 1818624 };

#define BLOCK_PAYLOAD_BITS 44
#define BLOCK_PAYLOAD_MASK ((UINT64_C(1) << BLOCK_PAYLOAD_BITS) - 1)

#define CLASS_SHIFT 27 /* class bits go to token bits 28..27 */
#define CLASS_MASK (UINT64_C(3) << CLASS_SHIFT)

#define TOKEN_DIGITS 20

const char *sts_strerror(sts_rc rc)
{
    switch (rc) {
    case STS_OK:              return "success";
    case STS_ERR_RANGE:       return "value out of range";
    case STS_ERR_CRC:         return "CRC mismatch";
    case STS_ERR_FORMAT:      return "malformed or unsupported token";
    case STS_ERR_CHECK_DIGIT: return "meter number check digit wrong";
    case STS_ERR_CRYPTO:      return "cryptographic library failure";
    case STS_ERR_ARG:         return "invalid argument";
    }
    return "unknown error";
}

/* ------------------------------------------------------------------------ */
/* TransferAmount                                                            */
/* ------------------------------------------------------------------------ */

sts_rc sts_amount_encode(uint64_t tenths, uint16_t *out, uint64_t *represented)
{
    if (represented != NULL)
        *represented = 0;
    if (out == NULL)
        return STS_ERR_ARG;
    *out = 0;

    for (unsigned e = 0; e < 4; e++) {
        const uint64_t top = amount_offset[e] + amount_scale[e] * AMOUNT_MANTISSA_MAX;
        if (tenths > top)
            continue;
        /* Round up: smallest m with offset + m * scale >= tenths.  Values in
         * the gap below this exponent's offset get m = 0. */
        uint64_t m = 0;
        if (tenths > amount_offset[e])
            m = (tenths - amount_offset[e] + amount_scale[e] - 1) / amount_scale[e];
        *out = (uint16_t)((e << 14) | m);
        if (represented != NULL)
            *represented = amount_offset[e] + m * amount_scale[e];
        return STS_OK;
    }
    return STS_ERR_RANGE;
}

uint64_t sts_amount_decode(uint16_t amount)
{
    const unsigned e = (unsigned)(amount >> 14);
    const uint64_t m = amount & AMOUNT_MANTISSA_MAX;
    return amount_offset[e] + m * amount_scale[e];
}

/* ------------------------------------------------------------------------ */
/* CRC                                                                       */
/* ------------------------------------------------------------------------ */

uint16_t sts_crc16(const uint8_t *buf, size_t len)
{
    uint16_t reg = 0xFFFF;

    if (buf == NULL)
        len = 0;
    for (size_t i = 0; i < len; i++) {
        reg ^= buf[i];
        for (int bit = 0; bit < 8; bit++)
            reg = (reg & 1u) ? (uint16_t)((reg >> 1) ^ 0xA001u) : (uint16_t)(reg >> 1);
    }
    return (uint16_t)((reg << 8) | (reg >> 8));
}

/* CRC over class(2) | upper48 (= subclass | payload44), right-justified in
 * 7 bytes, with the CRC_C trailing 0x01 byte when asked for. */
static uint16_t block_crc(uint8_t token_class, uint64_t upper48, bool crc_c)
{
    const uint64_t v = ((uint64_t)token_class << 48) | upper48;
    uint8_t buf[8];

    for (int i = 0; i < 7; i++)
        buf[i] = (uint8_t)(v >> (8 * (6 - i)));
    buf[7] = 0x01;
    return sts_crc16(buf, crc_c ? 8 : 7);
}

/* ------------------------------------------------------------------------ */
/* TID                                                                       */
/* ------------------------------------------------------------------------ */

static bool base_date_epoch(int base_year, int64_t *epoch)
{
    switch (base_year) {
    case 1993: *epoch = INT64_C(725846400);  return true; /* 1993-01-01T00:00Z */
    case 2014: *epoch = INT64_C(1388534400); return true; /* 2014-01-01T00:00Z */
    case 2035: *epoch = INT64_C(2051222400); return true; /* 2035-01-01T00:00Z */
    default:   return false;
    }
}

sts_rc sts_tid_from_unix(int64_t unix_seconds, int base_year, uint32_t *tid)
{
    int64_t epoch;

    if (tid == NULL)
        return STS_ERR_ARG;
    *tid = 0;
    if (!base_date_epoch(base_year, &epoch))
        return STS_ERR_ARG;
    if (unix_seconds < epoch)
        return STS_ERR_RANGE;
    /* unix_seconds >= epoch > 0, so the subtraction cannot overflow. */
    const uint64_t minutes = (uint64_t)(unix_seconds - epoch) / 60u;
    if (minutes > STS_TID_MAX)
        return STS_ERR_RANGE;
    *tid = (uint32_t)minutes;
    return STS_OK;
}

int64_t sts_tid_to_unix(uint32_t tid, int base_year)
{
    int64_t epoch;

    if (tid > STS_TID_MAX || !base_date_epoch(base_year, &epoch))
        return STS_TIME_INVALID;
    return epoch + (int64_t)tid * 60;
}

/* ------------------------------------------------------------------------ */
/* Data block                                                                */
/* ------------------------------------------------------------------------ */

bool sts_uses_crc_c(uint8_t token_class, uint8_t subclass)
{
    return token_class == 0 && subclass >= 4 && subclass <= 7;
}

sts_rc sts_block_pack(uint8_t token_class, uint8_t subclass, uint64_t payload44,
                      uint64_t *block)
{
    if (block == NULL)
        return STS_ERR_ARG;
    *block = 0;
    if (token_class > 3 || subclass > 15 || payload44 > BLOCK_PAYLOAD_MASK)
        return STS_ERR_ARG;

    const uint64_t upper48 = ((uint64_t)subclass << BLOCK_PAYLOAD_BITS) | payload44;
    const uint16_t crc = block_crc(token_class, upper48,
                                   sts_uses_crc_c(token_class, subclass));
    *block = (upper48 << 16) | crc;
    return STS_OK;
}

sts_rc sts_block_unpack(uint8_t token_class, uint64_t block, uint8_t *subclass,
                        uint64_t *payload44, uint16_t *crc)
{
    if (subclass != NULL)
        *subclass = 0;
    if (payload44 != NULL)
        *payload44 = 0;
    if (crc != NULL)
        *crc = 0;
    if (token_class > 3)
        return STS_ERR_ARG;

    const uint64_t upper48 = block >> 16;
    const uint8_t sc = (uint8_t)(upper48 >> BLOCK_PAYLOAD_BITS);
    const uint16_t found = (uint16_t)(block & 0xFFFF);
    if (block_crc(token_class, upper48, sts_uses_crc_c(token_class, sc)) != found)
        return STS_ERR_CRC;

    if (subclass != NULL)
        *subclass = sc;
    if (payload44 != NULL)
        *payload44 = upper48 & BLOCK_PAYLOAD_MASK;
    if (crc != NULL)
        *crc = found;
    return STS_OK;
}

sts_rc sts_block_build(const sts_block_fields *in, uint64_t *block)
{
    if (block == NULL)
        return STS_ERR_ARG;
    *block = 0;
    if (in == NULL || in->token_class > 3 || in->subclass > 15 || in->rnd > 15 ||
        in->tid > STS_TID_MAX)
        return STS_ERR_ARG;

    const uint64_t payload = ((uint64_t)in->rnd << 40) | ((uint64_t)in->tid << 16) |
                             in->amount;
    return sts_block_pack(in->token_class, in->subclass, payload, block);
}

sts_rc sts_block_parse(uint8_t token_class, uint64_t block, sts_block_fields *out)
{
    uint8_t subclass;
    uint64_t payload;
    uint16_t crc;

    if (out == NULL)
        return STS_ERR_ARG;
    memset(out, 0, sizeof *out);

    const sts_rc rc = sts_block_unpack(token_class, block, &subclass, &payload, &crc);
    if (rc != STS_OK)
        return rc;

    out->token_class = token_class;
    out->subclass = subclass;
    out->rnd = (uint8_t)((payload >> 40) & 0xF);
    out->tid = (uint32_t)((payload >> 16) & STS_TID_MAX);
    out->amount = (uint16_t)(payload & 0xFFFF);
    out->crc = crc;
    return STS_OK;
}

/* ------------------------------------------------------------------------ */
/* Class 2 key change pair                                                   */
/* ------------------------------------------------------------------------ */

/* The 44 payload bits <-> the rnd(4) | tid(24) | amount(16) carrier. */
static void fields_from_payload(uint8_t subclass, uint64_t p, sts_block_fields *f)
{
    memset(f, 0, sizeof *f);
    f->token_class = 2;
    f->subclass = subclass;
    f->rnd = (uint8_t)((p >> 40) & 0xF);
    f->tid = (uint32_t)((p >> 16) & STS_TID_MAX);
    f->amount = (uint16_t)(p & 0xFFFF);
}

static uint64_t payload_from_fields(const sts_block_fields *f)
{
    return ((uint64_t)(f->rnd & 0xF) << 40) | ((uint64_t)(f->tid & STS_TID_MAX) << 16) |
           f->amount;
}

sts_rc sts_keychange_pack(const sts_keychange *kc, sts_block_fields *first,
                          sts_block_fields *second)
{
    if (first != NULL)
        memset(first, 0, sizeof *first);
    if (second != NULL)
        memset(second, 0, sizeof *second);
    if (kc == NULL || first == NULL || second == NULL || kc->krn == 0 || kc->krn > 15 ||
        kc->ro > 1 || kc->kt > 3)
        return STS_ERR_ARG;

    uint32_t nkho = 0, nklo = 0;
    for (int i = 0; i < 4; i++) {
        nkho = (nkho << 8) | kc->new_key[i];
        nklo = (nklo << 8) | kc->new_key[4 + i];
    }
    /* KENHO(4) KRN(4) RO(1) Res(1)=0 KT(2) NKHO(32) */
    const uint64_t p1 = ((uint64_t)(kc->ken >> 4) << 40) | ((uint64_t)kc->krn << 36) |
                        ((uint64_t)kc->ro << 35) | ((uint64_t)kc->kt << 32) | nkho;
    /* KENLO(4) TI(8) NKLO(32) */
    const uint64_t p2 = ((uint64_t)(kc->ken & 0xF) << 40) | ((uint64_t)kc->ti << 32) | nklo;
    fields_from_payload(STS_C2_SET_1ST_SECTION_KEY, p1, first);
    fields_from_payload(STS_C2_SET_2ND_SECTION_KEY, p2, second);
    return STS_OK;
}

sts_rc sts_keychange_unpack(const sts_block_fields *f, sts_keychange *kc, uint8_t *res)
{
    if (f == NULL || kc == NULL || f->token_class != 2)
        return STS_ERR_ARG;
    const uint64_t p = payload_from_fields(f);
    const uint32_t half = (uint32_t)(p & 0xFFFFFFFFu);
    if (f->subclass == STS_C2_SET_1ST_SECTION_KEY) {
        kc->ken = (uint8_t)((kc->ken & 0x0F) | (((p >> 40) & 0xF) << 4));
        kc->krn = (uint8_t)((p >> 36) & 0xF);
        kc->ro = (uint8_t)((p >> 35) & 1);
        if (res != NULL)
            *res = (uint8_t)((p >> 34) & 1);
        kc->kt = (uint8_t)((p >> 32) & 3);
        for (int i = 0; i < 4; i++)
            kc->new_key[i] = (uint8_t)(half >> (8 * (3 - i)));
        return STS_OK;
    }
    if (f->subclass == STS_C2_SET_2ND_SECTION_KEY) {
        kc->ken = (uint8_t)((kc->ken & 0xF0) | ((p >> 40) & 0xF));
        kc->ti = (uint8_t)((p >> 32) & 0xFF);
        for (int i = 0; i < 4; i++)
            kc->new_key[4 + i] = (uint8_t)(half >> (8 * (3 - i)));
        return STS_OK;
    }
    return STS_ERR_ARG;
}

/* ------------------------------------------------------------------------ */
/* Class-bit transposition                                                   */
/* ------------------------------------------------------------------------ */

sts_token66 sts_insert_class(uint64_t encrypted_block, uint8_t token_class)
{
    sts_token66 t;

    /* Encrypted bits 28/27 move up to token bits 65/64 ... */
    t.hi = (uint8_t)((encrypted_block >> CLASS_SHIFT) & 3u);
    /* ... and the class takes their place. */
    t.lo = (encrypted_block & ~CLASS_MASK) |
           ((uint64_t)(token_class & 3u) << CLASS_SHIFT);
    return t;
}

void sts_extract_class(sts_token66 t, uint64_t *encrypted_block, uint8_t *token_class)
{
    if (token_class != NULL)
        *token_class = (uint8_t)((t.lo >> CLASS_SHIFT) & 3u);
    if (encrypted_block != NULL)
        *encrypted_block = (t.lo & ~CLASS_MASK) |
                           ((uint64_t)(t.hi & 3u) << CLASS_SHIFT);
}

/* ------------------------------------------------------------------------ */
/* 66-bit number <-> 20 decimal digits                                       */
/* ------------------------------------------------------------------------ */

/* The 66-bit value is handled as three 32-bit limbs (l2 = bits 65..64,
 * l1 = bits 63..32, l0 = bits 31..0) so no 128-bit type is needed. */

void sts_token_to_digits(sts_token66 t, char out[21])
{
    if (out == NULL)
        return;
    if (t.hi > 3) {
        out[0] = '\0';
        return;
    }

    uint64_t l2 = t.hi, l1 = t.lo >> 32, l0 = t.lo & 0xFFFFFFFFu;
    for (int i = TOKEN_DIGITS - 1; i >= 0; i--) {
        uint64_t r = l2 % 10;
        l2 /= 10;
        uint64_t x = (r << 32) | l1;
        l1 = x / 10;
        r = x % 10;
        x = (r << 32) | l0;
        l0 = x / 10;
        r = x % 10;
        out[i] = (char)('0' + r);
    }
    out[TOKEN_DIGITS] = '\0';
}

sts_rc sts_token_from_digits(const char *text, sts_token66 *out)
{
    if (out == NULL)
        return STS_ERR_ARG;
    out->hi = 0;
    out->lo = 0;
    if (text == NULL)
        return STS_ERR_ARG;

    uint64_t l2 = 0, l1 = 0, l0 = 0;
    unsigned ndigits = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p < '0' || *p > '9')
            return STS_ERR_FORMAT;
        if (++ndigits > TOKEN_DIGITS)
            return STS_ERR_FORMAT;
        /* value = value * 10 + digit, limb by limb.  20 digits < 2^67, so
         * l2 stays tiny. */
        uint64_t x = l0 * 10 + (uint64_t)(*p - '0');
        l0 = x & 0xFFFFFFFFu;
        x = l1 * 10 + (x >> 32);
        l1 = x & 0xFFFFFFFFu;
        l2 = l2 * 10 + (x >> 32);
    }
    if (ndigits != TOKEN_DIGITS)
        return STS_ERR_FORMAT;
    if (l2 > 3)
        return STS_ERR_RANGE;
    out->hi = (uint8_t)l2;
    out->lo = (l1 << 32) | l0;
    return STS_OK;
}

/* ------------------------------------------------------------------------ */
/* Luhn / DRN                                                                */
/* ------------------------------------------------------------------------ */

#define LUHN_MAX_DIGITS 32

/* Luhn check digit value of n decimal digits at s, or -1 if a character is
 * not a digit.  The digit next to the (future) check digit is doubled. */
static int luhn_value(const char *s, size_t n)
{
    unsigned sum = 0;

    for (size_t i = 0; i < n; i++) {
        const char c = s[n - 1 - i];
        if (c < '0' || c > '9')
            return -1;
        unsigned d = (unsigned)(c - '0');
        if ((i & 1u) == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (int)((10 - sum % 10) % 10);
}

char sts_luhn_check_digit(const char *digits)
{
    if (digits == NULL)
        return 0;
    const size_t n = strnlen(digits, LUHN_MAX_DIGITS + 1);
    if (n == 0 || n > LUHN_MAX_DIGITS)
        return 0;
    const int v = luhn_value(digits, n);
    return v < 0 ? 0 : (char)('0' + v);
}

char sts_drn_check_digit(const char *drn_without_check)
{
    if (drn_without_check == NULL)
        return 0;
    const size_t n = strnlen(drn_without_check, 13);
    if (n != 10 && n != 12)
        return 0;
    return sts_luhn_check_digit(drn_without_check);
}

bool sts_drn_valid(const char *drn)
{
    if (drn == NULL)
        return false;
    const size_t n = strnlen(drn, 14);
    if (n != 11 && n != 13)
        return false;
    const char last = drn[n - 1];
    if (last < '0' || last > '9')
        return false;
    const int v = luhn_value(drn, n - 1);
    return v >= 0 && (char)('0' + v) == last;
}
