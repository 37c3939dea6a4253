/* rf_layout.c — univend's layout on a MIFARE-Classic-style card. */
#include "rf_layout.h"

#include <string.h>

#include "../cardlib/cardio.h"
#include "../cardlib/cardtext.h"

const uint8_t rf_atr[RF_ATR_LEN] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
                                    0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00,
                                    0x01, 0x00, 0x00, 0x00, 0x00, 0x6A};

static const uint8_t magic[4] = {'U', 'V', 'R', 'F'};

int rf_identity_parse(const uint8_t *id, struct rf_identity *out)
{
    memset(out, 0, sizeof *out);
    if (memcmp(id, magic, 4) != 0)
        return RF_ID_NOT_OURS;
    out->kind = id[5];
    if (id[4] != 1 || out->kind > 4)
        return RF_ID_BAD;
    for (int i = 6; i < RF_BLOCK; i++)
        if (id[i] != 0)
            return RF_ID_BAD;
    if (ct_field_get(id + RF_BLOCK, RF_BLOCK, out->type) != 0 ||
        ct_field_get(id + 2 * RF_BLOCK, RF_BLOCK, out->meter) != 0 ||
        !ct_type_valid(out->type) || !ct_meter_valid(out->meter, RF_METER_MAX))
        return RF_ID_BAD;
    return RF_ID_OK;
}

int rf_identity_encode(const struct rf_identity *id, uint8_t *out)
{
    if (id->kind > 4 || !ct_type_valid(id->type) || !ct_meter_valid(id->meter, RF_METER_MAX))
        return -1;
    memset(out, 0, 3 * RF_BLOCK);
    memcpy(out, magic, 4);
    out[4] = 1;
    out[5] = id->kind;
    ct_field_put(out + RF_BLOCK, RF_BLOCK, id->type);
    ct_field_put(out + 2 * RF_BLOCK, RF_BLOCK, id->meter);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int rf_value_parse(const uint8_t b[RF_BLOCK], int32_t *value, uint8_t *addr)
{
    uint32_t v = le32(b), nv = le32(b + 4), v2 = le32(b + 8);
    if (v != v2 || v != (uint32_t)~nv || b[12] != b[14] || b[13] != b[15] ||
        (b[12] ^ b[13]) != 0xFF)
        return -1;
    *value = (int32_t)v;
    *addr = b[12];
    return 0;
}

void rf_value_encode(int32_t value, uint8_t addr, uint8_t b[RF_BLOCK])
{
    uint32_t v = (uint32_t)value;
    for (int i = 0; i < 4; i++) {
        b[i] = b[8 + i] = (uint8_t)(v >> (8 * i));
        b[4 + i] = (uint8_t)~b[i];
    }
    b[12] = b[14] = addr;
    b[13] = b[15] = (uint8_t)~addr;
}

void rf_record_parse(const uint8_t b[RF_BLOCK], struct rf_record *r)
{
    r->counter = (uint16_t)cio_get_be(b, 2);
    r->sequence = cio_get_be(b + 2, 6);
    memcpy(r->mac, b + 8, RF_MAC_LEN);
}

void rf_record_encode(const struct rf_record *r, uint8_t b[RF_BLOCK])
{
    cio_put_be(b, 2, r->counter);
    cio_put_be(b + 2, 6, r->sequence);
    memcpy(b + 8, r->mac, RF_MAC_LEN);
}

static size_t put_uid(const char tag[4], const uint8_t *uid, size_t uid_len, uint8_t *out)
{
    memcpy(out, tag, 4);
    out[4] = (uint8_t)uid_len;
    memcpy(out + 5, uid, uid_len);
    return 5 + uid_len;
}

size_t rf_record_msg(const uint8_t *uid, size_t uid_len, const uint8_t *id,
                     const uint8_t rec[RF_BLOCK], const uint8_t value_block[RF_BLOCK],
                     uint8_t out[RF_MSG_MAX])
{
    size_t n = put_uid("UVRC", uid, uid_len, out);
    memcpy(out + n, id, 3 * RF_BLOCK);
    n += 3 * RF_BLOCK;
    memcpy(out + n, rec, 8);
    n += 8;
    memcpy(out + n, value_block, 4);
    return n + 4;
}

int rf_mdata_parse(const uint8_t b[RF_BLOCK], struct rf_mdata *m)
{
    memset(m, 0, sizeof *m);
    if (b[0] == 0)
        return 1;
    if (b[0] != 1 || b[1] != 0 || b[6] != 0 || b[7] != 0)
        return -1;
    m->tamper = (uint16_t)cio_get_be(b + 2, 2);
    m->loaded_counter = (uint16_t)cio_get_be(b + 4, 2);
    m->remaining = (uint32_t)cio_get_be(b + 8, 4);
    m->time = (uint32_t)cio_get_be(b + 12, 4);
    return 0;
}

void rf_mdata_encode(const struct rf_mdata *m, uint8_t b[RF_BLOCK])
{
    memset(b, 0, RF_BLOCK);
    b[0] = 1;
    cio_put_be(b + 2, 2, m->tamper);
    cio_put_be(b + 4, 2, m->loaded_counter);
    cio_put_be(b + 8, 4, m->remaining);
    cio_put_be(b + 12, 4, m->time);
}

size_t rf_mdata_msg(const uint8_t *uid, size_t uid_len, const uint8_t b[RF_BLOCK],
                    uint8_t out[RF_MSG_MAX])
{
    size_t n = put_uid("UVMD", uid, uid_len, out);
    memcpy(out + n, b, RF_BLOCK);
    return n + RF_BLOCK;
}

size_t rf_sector_serial(const uint8_t *uid, size_t uid_len, unsigned sector, uint8_t out[8])
{
    memcpy(out, uid, uid_len);
    out[uid_len] = (uint8_t)sector;
    return uid_len + 1;
}

void rf_access_encode(const uint8_t c[4], uint8_t out[3])
{
    unsigned c1 = 0, c2 = 0, c3 = 0;
    for (int i = 0; i < 4; i++) {
        c1 |= (unsigned)(c[i] >> 2 & 1) << i;
        c2 |= (unsigned)(c[i] >> 1 & 1) << i;
        c3 |= (unsigned)(c[i] & 1) << i;
    }
    out[0] = (uint8_t)((~c2 & 15) << 4 | (~c1 & 15));
    out[1] = (uint8_t)(c1 << 4 | (~c3 & 15));
    out[2] = (uint8_t)(c3 << 4 | c2);
}

int rf_access_decode(const uint8_t in[3], uint8_t c[4])
{
    unsigned c1 = in[1] >> 4, c2 = in[2] & 15, c3 = in[2] >> 4;
    if ((in[0] & 15) != (~c1 & 15) || (in[0] >> 4) != (~c2 & 15) || (in[1] & 15) != (~c3 & 15))
        return -1;
    for (int i = 0; i < 4; i++)
        c[i] = (uint8_t)((c1 >> i & 1) << 2 | (c2 >> i & 1) << 1 | (c3 >> i & 1));
    return 0;
}
