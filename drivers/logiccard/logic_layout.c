/* logic_layout.c — univend's layout on a logic-encryption memory card. */
#include "logic_layout.h"

#include <string.h>

#include "../cardlib/cardio.h"
#include "../cardlib/cardtext.h"

const uint8_t lc_atr[LC_ATR_LEN] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
                                    0xA0, 0x00, 0x00, 0x03, 0x06, 0x0F, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x67};
const uint8_t lc_chip_header[4] = {0xA2, 0x13, 0x10, 0x91};

static const uint8_t magic[4] = {'U', 'V', 'L', 'C'};

int lc_identity_parse(const uint8_t *mem, size_t len, struct lc_identity *id)
{
    memset(id, 0, sizeof *id);
    if (mem == NULL || len < LC_ID_END || memcmp(mem + LC_OFF_MAGIC, magic, 4) != 0)
        return LC_ID_NOT_OURS;
    id->serial_len = mem[LC_OFF_SERIAL_LEN];
    id->kind = mem[LC_OFF_KIND];
    if (mem[LC_OFF_VERSION] != 1 || id->serial_len == 0 || id->serial_len > LC_SERIAL_MAX ||
        id->kind > 4)
        return LC_ID_BAD;
    memcpy(id->serial, mem + LC_OFF_SERIAL, id->serial_len);
    if (ct_field_get(mem + LC_OFF_TYPE, 16, id->type) != 0 ||
        ct_field_get(mem + LC_OFF_METER, 32, id->meter) != 0 || !ct_type_valid(id->type) ||
        !ct_meter_valid(id->meter, 31))
        return LC_ID_BAD;
    return LC_ID_OK;
}

int lc_identity_encode(const struct lc_identity *id, uint8_t mem[LC_MEM_SIZE])
{
    if (id->serial_len == 0 || id->serial_len > LC_SERIAL_MAX || id->kind > 4 ||
        !ct_type_valid(id->type) || !ct_meter_valid(id->meter, 31))
        return -1;
    memset(mem + LC_ID_START, 0, LC_ID_END - LC_ID_START);
    memcpy(mem + LC_OFF_MAGIC, magic, 4);
    mem[LC_OFF_VERSION] = 1;
    mem[LC_OFF_KIND] = id->kind;
    mem[LC_OFF_SERIAL_LEN] = (uint8_t)id->serial_len;
    memcpy(mem + LC_OFF_SERIAL, id->serial, id->serial_len);
    ct_field_put(mem + LC_OFF_TYPE, 16, id->type);
    ct_field_put(mem + LC_OFF_METER, 32, id->meter);
    return 0;
}

int lc_record_parse(const uint8_t rec[LC_REC_LEN], struct lc_record *r)
{
    memset(r, 0, sizeof *r);
    if (rec[0] != 1 || rec[2] != 0 || rec[3] != 0)
        return -1;
    r->flags = rec[1];
    r->counter = (uint32_t)cio_get_be(rec + 4, 4);
    r->sequence = cio_get_be(rec + 8, 8);
    r->amount = cio_get_be(rec + 16, 8);
    memcpy(r->mac, rec + 24, LC_MAC_LEN);
    return 0;
}

void lc_record_encode(const struct lc_record *r, uint8_t rec[LC_REC_LEN])
{
    rec[0] = 1;
    rec[1] = r->flags;
    rec[2] = rec[3] = 0;
    cio_put_be(rec + 4, 4, r->counter);
    cio_put_be(rec + 8, 8, r->sequence);
    cio_put_be(rec + 16, 8, r->amount);
    memcpy(rec + 24, r->mac, LC_MAC_LEN);
}

int lc_mdata_parse(const uint8_t md[LC_REC_LEN], struct lc_mdata *m)
{
    memset(m, 0, sizeof *m);
    if (md[0] == 0)
        return 1;
    if (md[0] != 1 || md[1] != 0)
        return -1;
    m->tamper = (uint16_t)cio_get_be(md + 2, 2);
    m->loaded_counter = (uint32_t)cio_get_be(md + 4, 4);
    m->remaining = cio_get_be(md + 8, 8);
    m->time = cio_get_be(md + 16, 8);
    memcpy(m->mac, md + 24, LC_MAC_LEN);
    return 0;
}

void lc_mdata_encode(const struct lc_mdata *m, uint8_t md[LC_REC_LEN])
{
    md[0] = 1;
    md[1] = 0;
    cio_put_be(md + 2, 2, m->tamper);
    cio_put_be(md + 4, 4, m->loaded_counter);
    cio_put_be(md + 8, 8, m->remaining);
    cio_put_be(md + 16, 8, m->time);
    memcpy(md + 24, m->mac, LC_MAC_LEN);
}

size_t lc_mac_msg(const char tag[4], const uint8_t *mem, const uint8_t block[LC_REC_LEN],
                  uint8_t out[LC_MSG_MAX])
{
    memcpy(out, tag, 4);
    memcpy(out + 4, mem + LC_ID_START, LC_ID_END - LC_ID_START);
    memcpy(out + 4 + (LC_ID_END - LC_ID_START), block, 24);
    return LC_MSG_MAX;
}
