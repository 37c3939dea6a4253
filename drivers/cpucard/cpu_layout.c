/* cpu_layout.c — the CPU user card's records: parse, encode, MAC inputs. */
#include "cpu_layout.h"

#include <string.h>

const uint8_t cpu_aid[CPU_AID_LEN] = {0xF0, 'U', 'V', 'E', 'N', 'D', 'C', 'P', 'U', '0', '1'};

/* 3B 8B 80 01, historical bytes 80 59 "UVEND CPU" (compact-TLV, card
   issuer's data), TCK. T=1. */
const uint8_t cpu_atr[CPU_ATR_LEN] = {0x3B, 0x8B, 0x80, 0x01, 0x80, 0x59, 'U', 'V',
                                      'E',  'N',  'D',  ' ',  'C',  'P',  'U', 0xF9};

int cpu_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

uint32_t cpu_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t cpu_be64(const uint8_t *p)
{
    return (uint64_t)cpu_be32(p) << 32 | cpu_be32(p + 4);
}

void cpu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void cpu_put64(uint8_t *p, uint64_t v)
{
    cpu_put32(p, (uint32_t)(v >> 32));
    cpu_put32(p + 4, (uint32_t)v);
}

const char *cpu_parse_text(int rc)
{
    switch (rc) {
    case CPU_PARSE_OK: return "well formed";
    case CPU_PARSE_LENGTH: return "wrong length";
    case CPU_PARSE_VERSION: return "unknown layout version";
    case CPU_PARSE_FIELD: return "a field out of range";
    case CPU_PARSE_TEXT: return "meter number or type code malformed";
    default: return "malformed";
    }
}

static int charset_ok(const char *s, int lower)
{
    size_t n = strnlen(s, CPU_TEXT_LEN);
    if (n == 0 || n >= CPU_TEXT_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || (lower && c >= 'a' && c <= 'z')))
            return 0;
    }
    return 1;
}

int cpu_meter_valid(const char *s)
{
    return s != NULL && charset_ok(s, 1);
}

int cpu_type_valid(const char *s)
{
    return s != NULL && charset_ok(s, 0);
}

/* A NUL-padded text field: the text, then only NULs. */
static int text_field(const uint8_t *b, char out[CPU_TEXT_LEN], int lower)
{
    size_t n = 0;
    while (n < CPU_TEXT_LEN && b[n] != 0)
        n++;
    if (n == 0 || n == CPU_TEXT_LEN)
        return 0;
    for (size_t i = n; i < CPU_TEXT_LEN; i++)
        if (b[i] != 0)
            return 0;
    memcpy(out, b, n);
    memset(out + n, 0, CPU_TEXT_LEN - n);
    return charset_ok(out, lower);
}

int cpu_id_parse(const uint8_t *b, size_t n, struct cpu_id *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != CPU_ID_LEN)
        return CPU_PARSE_LENGTH;
    if (b[0] != CPU_LAYOUT_VERSION)
        return CPU_PARSE_VERSION;
    if (b[1] < 1 || b[1] > 3 || b[3] > 4 || b[44] || b[45] || b[46] || b[47])
        return CPU_PARSE_FIELD;
    out->alg = b[1];
    out->key_version = b[2];
    out->kind = b[3];
    memcpy(out->serial, b + 4, CPU_SERIAL_LEN);
    if (!text_field(b + 12, out->meter, 1) || !text_field(b + 28, out->type_code, 0))
        return CPU_PARSE_TEXT;
    memcpy(out->mac, b + CPU_ID_BODY, CPU_MAC_LEN);
    return CPU_PARSE_OK;
}

void cpu_id_encode(const struct cpu_id *in, uint8_t out[CPU_ID_LEN])
{
    memset(out, 0, CPU_ID_LEN);
    out[0] = CPU_LAYOUT_VERSION;
    out[1] = in->alg;
    out[2] = in->key_version;
    out[3] = in->kind;
    memcpy(out + 4, in->serial, CPU_SERIAL_LEN);
    memcpy(out + 12, in->meter, strnlen(in->meter, CPU_TEXT_LEN - 1));
    memcpy(out + 28, in->type_code, strnlen(in->type_code, CPU_TEXT_LEN - 1));
    memcpy(out + CPU_ID_BODY, in->mac, CPU_MAC_LEN);
}

int cpu_purchase_parse(const uint8_t *b, size_t n, struct cpu_purchase *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != CPU_REC_LEN)
        return CPU_PARSE_LENGTH;
    if (b[0] != CPU_LAYOUT_VERSION)
        return CPU_PARSE_VERSION;
    out->status = b[1];
    out->kind = b[2];
    out->counter = cpu_be32(b + 4);
    out->sequence = cpu_be64(b + 8);
    out->total = cpu_be64(b + 16);
    out->added = cpu_be64(b + 24);
    memcpy(out->mac, b + CPU_REC_BODY, CPU_MAC_LEN);
    if (out->status > CPU_PURCHASE_CANCELLED || out->kind > 4 || b[3] != 0 ||
        out->total > CPU_CREDIT_MAX || out->added > out->total ||
        (out->status == CPU_PURCHASE_CANCELLED && out->total != 0))
        return CPU_PARSE_FIELD;
    return CPU_PARSE_OK;
}

void cpu_purchase_encode(const struct cpu_purchase *in, uint8_t out[CPU_REC_LEN])
{
    memset(out, 0, CPU_REC_LEN);
    out[0] = CPU_LAYOUT_VERSION;
    out[1] = in->status;
    out[2] = in->kind;
    cpu_put32(out + 4, in->counter);
    cpu_put64(out + 8, in->sequence);
    cpu_put64(out + 16, in->total);
    cpu_put64(out + 24, in->added);
    memcpy(out + CPU_REC_BODY, in->mac, CPU_MAC_LEN);
}

int cpu_return_parse(const uint8_t *b, size_t n, struct cpu_return *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != CPU_REC_LEN)
        return CPU_PARSE_LENGTH;
    if (b[0] != CPU_LAYOUT_VERSION)
        return CPU_PARSE_VERSION;
    out->status = b[1];
    out->loaded = cpu_be32(b + 4);
    out->ret_counter = cpu_be32(b + 8);
    out->tamper = cpu_be32(b + 12);
    out->remaining = cpu_be64(b + 16);
    out->time = cpu_be64(b + 24);
    memcpy(out->mac, b + CPU_REC_BODY, CPU_MAC_LEN);
    if (out->status > 1 || b[2] != 0 || b[3] != 0 || out->remaining > CPU_CREDIT_MAX)
        return CPU_PARSE_FIELD;
    return CPU_PARSE_OK;
}

void cpu_return_encode(const struct cpu_return *in, uint8_t out[CPU_REC_LEN])
{
    memset(out, 0, CPU_REC_LEN);
    out[0] = CPU_LAYOUT_VERSION;
    out[1] = in->status;
    cpu_put32(out + 4, in->loaded);
    cpu_put32(out + 8, in->ret_counter);
    cpu_put32(out + 12, in->tamper);
    cpu_put64(out + 16, in->remaining);
    cpu_put64(out + 24, in->time);
    memcpy(out + CPU_REC_BODY, in->mac, CPU_MAC_LEN);
}

size_t cpu_mac_in_auth(uint8_t dom, const uint8_t serial[CPU_SERIAL_LEN],
                       const uint8_t rnd[CPU_RND_LEN], uint8_t *out)
{
    out[0] = dom;
    memcpy(out + 1, serial, CPU_SERIAL_LEN);
    memcpy(out + 1 + CPU_SERIAL_LEN, rnd, CPU_RND_LEN);
    return 1 + CPU_SERIAL_LEN + CPU_RND_LEN;
}

size_t cpu_mac_in_write(const uint8_t serial[CPU_SERIAL_LEN], const uint8_t rnd[CPU_RND_LEN],
                        const uint8_t header[5], const uint8_t *data, size_t len, uint8_t *out)
{
    size_t n = cpu_mac_in_auth(CPU_DOM_WRITE, serial, rnd, out);
    memcpy(out + n, header, 5);
    n += 5;
    if (len > 255 - CPU_MAC_LEN)
        len = 255 - CPU_MAC_LEN;
    if (len)
        memcpy(out + n, data, len);
    return n + len;
}

size_t cpu_mac_in_id(const uint8_t rec[CPU_ID_LEN], uint8_t *out)
{
    out[0] = CPU_DOM_ID;
    memcpy(out + 1, rec, CPU_ID_BODY);
    return 1 + CPU_ID_BODY;
}

size_t cpu_mac_in_record(uint8_t dom, const uint8_t serial[CPU_SERIAL_LEN],
                         const uint8_t rec[CPU_REC_LEN], uint8_t *out)
{
    out[0] = dom;
    memcpy(out + 1, serial, CPU_SERIAL_LEN);
    memcpy(out + 1 + CPU_SERIAL_LEN, rec, CPU_REC_BODY);
    return 1 + CPU_SERIAL_LEN + CPU_REC_BODY;
}
