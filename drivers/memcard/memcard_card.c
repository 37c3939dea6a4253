/* memcard_card.c — the plain memory card's layout (see memcard_card.h). */
#include "memcard_card.h"

#include <stdio.h>
#include <string.h>

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int id_char(char c, int lower_ok)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || (lower_ok && c >= 'a' && c <= 'z');
}

static int text_ok(const char *s, size_t max, int lower_ok)
{
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!id_char(s[i], lower_ok))
            return 0;
    return 1;
}

int mc_meter_number_ok(const char *s)
{
    return s && text_ok(s, 16, 1);
}

int mc_type_code_ok(const char *s)
{
    return s && text_ok(s, 15, 0);
}

/* A NUL-padded text field of the card: printable id characters, then only
   NULs. */
static int field_text(const uint8_t *f, size_t n, char *out, int (*ok)(const char *))
{
    size_t len = 0;
    while (len < n && f[len])
        len++;
    if (!all_zero(f + len, n - len))
        return -1;
    memcpy(out, f, len);
    out[len] = '\0';
    return ok(out) ? 0 : -1;
}

int mc_ident_parse(const uint8_t *b, size_t n, struct mc_ident *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != MC_IDENT_LEN)
        return MC_MALFORMED;
    if (memcmp(b, MC_MAGIC, 4) != 0)
        return MC_FOREIGN;
    if (b[4] != MC_VERSION || b[5] != 0 || !all_zero(b + 53, MC_IDENT_LEN - 53))
        return MC_MALFORMED;
    memcpy(out->serial, b + 6, MC_SERIAL_LEN);
    if (field_text(b + 13, 16, out->meter, mc_meter_number_ok) != 0 ||
        field_text(b + 29, 16, out->type_code, mc_type_code_ok) != 0)
        return MC_MALFORMED;
    memcpy(out->mac, b + MC_IDENT_MAC_AT, MC_MAC_LEN);
    return MC_OK;
}

void mc_ident_build(const struct mc_ident *in, uint8_t out[MC_IDENT_LEN])
{
    memset(out, 0, MC_IDENT_LEN);
    memcpy(out, MC_MAGIC, 4);
    out[4] = MC_VERSION;
    memcpy(out + 6, in->serial, MC_SERIAL_LEN);
    memcpy(out + 13, in->meter, strnlen(in->meter, 16));
    memcpy(out + 29, in->type_code, strnlen(in->type_code, 15));
    memcpy(out + MC_IDENT_MAC_AT, in->mac, MC_MAC_LEN);
}

size_t mc_ident_mac_input(const uint8_t area[MC_IDENT_LEN], uint8_t *in)
{
    memcpy(in, area, MC_IDENT_MAC_AT);
    return MC_IDENT_MAC_AT;
}

int mc_credit_parse(const uint8_t *b, size_t n, struct mc_credit *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != MC_CREDIT_LEN || b[0] != MC_VERSION || !all_zero(b + 1, 3))
        return MC_MALFORMED;
    out->amount = get_be(b + 4, 8);
    out->sequence = get_be(b + 12, 8);
    out->counter = (uint32_t)get_be(b + 20, 4);
    memcpy(out->mac, b + MC_RECORD_MAC_AT, MC_MAC_LEN);
    return MC_OK;
}

void mc_credit_build(const struct mc_credit *in, uint8_t out[MC_CREDIT_LEN])
{
    memset(out, 0, MC_CREDIT_LEN);
    out[0] = MC_VERSION;
    put_be(out + 4, in->amount, 8);
    put_be(out + 12, in->sequence, 8);
    put_be(out + 20, in->counter, 4);
    memcpy(out + MC_RECORD_MAC_AT, in->mac, MC_MAC_LEN);
}

static size_t record_mac_input(const char tag[2], const uint8_t *area, uint8_t *in)
{
    in[0] = (uint8_t)tag[0];
    in[1] = (uint8_t)tag[1];
    memcpy(in + 2, area, MC_RECORD_MAC_AT);
    return 2 + MC_RECORD_MAC_AT;
}

size_t mc_credit_mac_input(const uint8_t area[MC_CREDIT_LEN], uint8_t *in)
{
    return record_mac_input("CR", area, in);
}

int mc_meter_parse(const uint8_t *b, size_t n, struct mc_meter *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != MC_METER_LEN)
        return MC_MALFORMED;
    if (all_zero(b, n))
        return MC_OK; /* the card has not been to the meter yet */
    if (b[0] != MC_VERSION || (b[1] & ~1u) != 0 || b[2] || b[3])
        return MC_MALFORMED;
    out->present = 1;
    out->flags = b[1];
    out->loaded = get_be(b + 4, 8);
    out->remaining = get_be(b + 12, 8);
    out->tamper = (uint32_t)get_be(b + 20, 4);
    memcpy(out->mac, b + MC_RECORD_MAC_AT, MC_MAC_LEN);
    return MC_OK;
}

void mc_meter_build(const struct mc_meter *in, uint8_t out[MC_METER_LEN])
{
    memset(out, 0, MC_METER_LEN);
    out[0] = MC_VERSION;
    out[1] = (uint8_t)(in->flags & 1u);
    put_be(out + 4, in->loaded, 8);
    put_be(out + 12, in->remaining, 8);
    put_be(out + 20, in->tamper, 4);
    memcpy(out + MC_RECORD_MAC_AT, in->mac, MC_MAC_LEN);
}

size_t mc_meter_mac_input(const uint8_t area[MC_METER_LEN], uint8_t *in)
{
    return record_mac_input("MR", area, in);
}

unsigned mc_sw(const uint8_t *resp, size_t n)
{
    return resp && n >= 2 ? (unsigned)resp[n - 2] << 8 | resp[n - 1] : 0;
}

unsigned mc_read_answer(const uint8_t *resp, size_t n, size_t want, const uint8_t **data)
{
    unsigned sw = mc_sw(resp, n);
    *data = NULL;
    if (sw == 0x9000 && n != want + 2)
        return 0x6700; /* a success with the wrong amount of data is no success */
    if (sw == 0x9000)
        *data = resp;
    return sw;
}

size_t mc_cmd_read(uint16_t addr, uint8_t len, uint8_t cmd[5])
{
    cmd[0] = 0xFF;
    cmd[1] = 0xB0;
    cmd[2] = (uint8_t)(addr >> 8);
    cmd[3] = (uint8_t)addr;
    cmd[4] = len; /* 0 would mean 256 */
    return 5;
}

size_t mc_cmd_update(uint16_t addr, const uint8_t *data, uint8_t len, uint8_t *cmd)
{
    cmd[0] = 0xFF;
    cmd[1] = 0xD6;
    cmd[2] = (uint8_t)(addr >> 8);
    cmd[3] = (uint8_t)addr;
    cmd[4] = len;
    memcpy(cmd + 5, data, len);
    return 5 + (size_t)len;
}

int mc_state_parse(const uint8_t *b, size_t n, struct mc_state *out)
{
    memset(out, 0, sizeof *out);
    if (b == NULL || n != MC_STATE_LEN || b[0] != 1)
        return -1;
    memcpy(out->serial, b + 1, MC_SERIAL_LEN);
    out->counter = (uint32_t)get_be(b + 8, 4);
    return 0;
}

size_t mc_state_build(const struct mc_state *s, uint8_t out[MC_STATE_LEN])
{
    out[0] = 1;
    memcpy(out + 1, s->serial, MC_SERIAL_LEN);
    put_be(out + 8, s->counter, 4);
    return MC_STATE_LEN;
}

void mc_serial_text(const uint8_t serial[MC_SERIAL_LEN], char out[2 * MC_SERIAL_LEN + 1])
{
    for (size_t i = 0; i < MC_SERIAL_LEN; i++)
        snprintf(out + 2 * i, 3, "%02X", serial[i]);
}
