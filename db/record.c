/* record.c — table-driven tag-length-value codec for stored records. */
#include "record.h"

#include <string.h>

#define F(tag, type, st, m) {tag, type, offsetof(st, m), sizeof(((st *)0)->m), 0}
#define FB(tag, st, m, lenm) {tag, RF_BLOB, offsetof(st, m), sizeof(((st *)0)->m), offsetof(st, lenm)}
#define LAYOUT(var, st, arr) \
    const struct rec_layout var = {#st, sizeof(st), arr, sizeof(arr) / sizeof(arr[0])}

static const struct rec_field meter_fields[] = {
    F(1, RF_STR, struct rec_meter, number),
    F(2, RF_STR, struct rec_meter, type_code),
    F(3, RF_STR, struct rec_meter, customer),
    F(4, RF_STR, struct rec_meter, tariff),
    F(5, RF_STR, struct rec_meter, params),
    FB(6, struct rec_meter, state, state_len),
    F(7, RF_I64, struct rec_meter, created_at),
    F(8, RF_I64, struct rec_meter, last_sale_at),
    F(9, RF_U64, struct rec_meter, sales_count),
    F(10, RF_U64, struct rec_meter, last_receipt),
    F(11, RF_U32, struct rec_meter, month),
    F(12, RF_U64, struct rec_meter, month_bought_wh),
    F(13, RF_I64, struct rec_meter, month_fixed_paid),
    F(14, RF_U32, struct rec_meter, month_lifeline),
    F(15, RF_I64, struct rec_meter, report_at),
    F(16, RF_U64, struct rec_meter, report_remaining),
    F(17, RF_U32, struct rec_meter, report_kind),
    F(18, RF_U32, struct rec_meter, report_tamper),
};
LAYOUT(rec_meter_layout, struct rec_meter, meter_fields);

static const struct rec_field customer_fields[] = {
    F(1, RF_STR, struct rec_customer, id),
    F(2, RF_STR, struct rec_customer, name),
    F(3, RF_STR, struct rec_customer, address),
    F(4, RF_STR, struct rec_customer, phone),
    F(5, RF_I64, struct rec_customer, created_at),
    F(6, RF_I64, struct rec_customer, debt),
    F(7, RF_U32, struct rec_customer, debt_recover_bp),
    F(8, RF_I64, struct rec_customer, debt_recover_fixed),
};
LAYOUT(rec_customer_layout, struct rec_customer, customer_fields);

static const struct rec_field tariff_fields[] = {
    F(1, RF_STR, struct rec_tariff, id),
    F(2, RF_STR, struct rec_tariff, name),
    F(3, RF_I64, struct rec_tariff, price_milli),
    F(4, RF_U32, struct rec_tariff, vat_bp),
    F(5, RF_I64, struct rec_tariff, created_at),
    F(6, RF_U32, struct rec_tariff, n_blocks),
    F(7, RF_U64, struct rec_tariff, block_upto_wh[0]),
    F(8, RF_U64, struct rec_tariff, block_upto_wh[1]),
    F(9, RF_U64, struct rec_tariff, block_upto_wh[2]),
    F(10, RF_U64, struct rec_tariff, block_upto_wh[3]),
    F(11, RF_I64, struct rec_tariff, block_price_milli[0]),
    F(12, RF_I64, struct rec_tariff, block_price_milli[1]),
    F(13, RF_I64, struct rec_tariff, block_price_milli[2]),
    F(14, RF_I64, struct rec_tariff, block_price_milli[3]),
    F(15, RF_U32, struct rec_tariff, n_levies),
    F(16, RF_STR, struct rec_tariff, levy_name[0]),
    F(17, RF_STR, struct rec_tariff, levy_name[1]),
    F(18, RF_STR, struct rec_tariff, levy_name[2]),
    F(19, RF_U32, struct rec_tariff, levy_bp[0]),
    F(20, RF_U32, struct rec_tariff, levy_bp[1]),
    F(21, RF_U32, struct rec_tariff, levy_bp[2]),
    F(22, RF_I64, struct rec_tariff, fixed_monthly),
    F(23, RF_U64, struct rec_tariff, lifeline_wh),
};
LAYOUT(rec_tariff_layout, struct rec_tariff, tariff_fields);

static const struct rec_field typeidx_fields[] = {
    F(1, RF_STR, struct rec_typeidx, code),
    F(2, RF_STR, struct rec_typeidx, file),
    F(3, RF_STR, struct rec_typeidx, driver),
    F(4, RF_STR, struct rec_typeidx, version),
    F(5, RF_STR, struct rec_typeidx, vendor),
    F(6, RF_BYTES, struct rec_typeidx, sha256),
    F(7, RF_I64, struct rec_typeidx, registered_at),
    F(8, RF_STR, struct rec_typeidx, registered_by),
    F(9, RF_STR, struct rec_typeidx, signature),
    F(10, RF_U32, struct rec_typeidx, media),
    F(11, RF_STR, struct rec_typeidx, atr),
};
LAYOUT(rec_typeidx_layout, struct rec_typeidx, typeidx_fields);

static const struct rec_field receipt_fields[] = {
    F(1, RF_U64, struct rec_receipt, number),
    F(2, RF_I64, struct rec_receipt, time),
    F(3, RF_STR, struct rec_receipt, kiosk),
    F(4, RF_STR, struct rec_receipt, clerk),
    F(5, RF_STR, struct rec_receipt, meter),
    F(6, RF_STR, struct rec_receipt, customer),
    F(7, RF_STR, struct rec_receipt, type_code),
    F(8, RF_STR, struct rec_receipt, driver),
    F(9, RF_STR, struct rec_receipt, driver_version),
    F(10, RF_STR, struct rec_receipt, tariff),
    F(11, RF_STR, struct rec_receipt, currency),
    F(12, RF_I64, struct rec_receipt, gross),
    F(13, RF_I64, struct rec_receipt, net),
    F(14, RF_I64, struct rec_receipt, vat),
    F(15, RF_I64, struct rec_receipt, price_milli),
    F(16, RF_U32, struct rec_receipt, vat_bp),
    F(17, RF_U32, struct rec_receipt, credit_kind),
    F(18, RF_U64, struct rec_receipt, energy_wh),
    F(19, RF_U64, struct rec_receipt, energy_wh_requested),
    F(20, RF_STR, struct rec_receipt, token_id),
    F(21, RF_STR, struct rec_receipt, tokens[0]),
    F(22, RF_STR, struct rec_receipt, tokens[1]),
    F(23, RF_STR, struct rec_receipt, tokens[2]),
    F(24, RF_STR, struct rec_receipt, tokens[3]),
    F(25, RF_U32, struct rec_receipt, n_tokens),
    F(26, RF_U32, struct rec_receipt, reprints),
    F(27, RF_BYTES, struct rec_receipt, prev_hash),
    F(28, RF_BYTES, struct rec_receipt, hash),
    F(29, RF_I64, struct rec_receipt, tendered),
    F(30, RF_I64, struct rec_receipt, change),
    F(31, RF_I64, struct rec_receipt, debt_recovered),
    F(32, RF_I64, struct rec_receipt, fixed_charge),
    F(33, RF_I64, struct rec_receipt, energy_cost),
    F(34, RF_I64, struct rec_receipt, levies),
    F(35, RF_I64, struct rec_receipt, levy[0]),
    F(36, RF_I64, struct rec_receipt, levy[1]),
    F(37, RF_I64, struct rec_receipt, levy[2]),
    F(38, RF_STR, struct rec_receipt, levy_name[0]),
    F(39, RF_STR, struct rec_receipt, levy_name[1]),
    F(40, RF_STR, struct rec_receipt, levy_name[2]),
    F(41, RF_U32, struct rec_receipt, n_blocks),
    F(42, RF_U64, struct rec_receipt, block_wh[0]),
    F(43, RF_U64, struct rec_receipt, block_wh[1]),
    F(44, RF_U64, struct rec_receipt, block_wh[2]),
    F(45, RF_U64, struct rec_receipt, block_wh[3]),
    F(46, RF_I64, struct rec_receipt, block_price_milli[0]),
    F(47, RF_I64, struct rec_receipt, block_price_milli[1]),
    F(48, RF_I64, struct rec_receipt, block_price_milli[2]),
    F(49, RF_I64, struct rec_receipt, block_price_milli[3]),
    F(50, RF_I64, struct rec_receipt, block_cost[0]),
    F(51, RF_I64, struct rec_receipt, block_cost[1]),
    F(52, RF_I64, struct rec_receipt, block_cost[2]),
    F(53, RF_I64, struct rec_receipt, block_cost[3]),
    F(54, RF_U64, struct rec_receipt, lifeline_wh),
    F(55, RF_STR, struct rec_receipt, card_serial),
};
LAYOUT(rec_receipt_layout, struct rec_receipt, receipt_fields);

static const struct rec_field audit_fields[] = {
    F(1, RF_U64, struct rec_audit, seq),
    F(2, RF_I64, struct rec_audit, time),
    F(3, RF_STR, struct rec_audit, actor),
    F(4, RF_STR, struct rec_audit, action),
    F(5, RF_STR, struct rec_audit, subject),
    F(6, RF_STR, struct rec_audit, detail),
    F(7, RF_BYTES, struct rec_audit, prev_hash),
    F(8, RF_BYTES, struct rec_audit, hash),
};
LAYOUT(rec_audit_layout, struct rec_audit, audit_fields);

static const struct rec_field key_fields[] = {
    F(1, RF_STR, struct rec_key, ref),
    F(2, RF_BYTES, struct rec_key, nonce),
    FB(3, struct rec_key, ct, ct_len),
    F(4, RF_BYTES, struct rec_key, tag),
    F(5, RF_I64, struct rec_key, created_at),
    F(6, RF_STR, struct rec_key, created_by),
};
LAYOUT(rec_key_layout, struct rec_key, key_fields);

static const struct rec_field clerk_fields[] = {
    F(1, RF_STR, struct rec_clerk, id),
    F(2, RF_STR, struct rec_clerk, name),
    F(3, RF_U32, struct rec_clerk, role),
    F(4, RF_U32, struct rec_clerk, disabled),
    F(5, RF_BYTES, struct rec_clerk, salt),
    F(6, RF_BYTES, struct rec_clerk, pin_hash),
    F(7, RF_U32, struct rec_clerk, kdf_iterations),
    F(8, RF_U32, struct rec_clerk, failed),
    F(9, RF_I64, struct rec_clerk, locked_until),
    F(10, RF_I64, struct rec_clerk, created_at),
    F(11, RF_I64, struct rec_clerk, last_login),
};
LAYOUT(rec_clerk_layout, struct rec_clerk, clerk_fields);

static const struct rec_field closing_fields[] = {
    F(1, RF_U64, struct rec_closing, number),
    F(2, RF_U32, struct rec_closing, kind),
    F(3, RF_STR, struct rec_closing, clerk),
    F(4, RF_I64, struct rec_closing, time),
    F(5, RF_U64, struct rec_closing, first_receipt),
    F(6, RF_U64, struct rec_closing, last_receipt),
    F(7, RF_U64, struct rec_closing, count),
    F(8, RF_I64, struct rec_closing, gross),
    F(9, RF_I64, struct rec_closing, vat),
    F(10, RF_I64, struct rec_closing, net),
    F(11, RF_U64, struct rec_closing, energy_wh),
};
LAYOUT(rec_closing_layout, struct rec_closing, closing_fields);

static const struct rec_field export_fields[] = {
    F(1, RF_U64, struct rec_export, sequence),
    F(2, RF_I64, struct rec_export, created),
    F(3, RF_U64, struct rec_export, receipt_first),
    F(4, RF_U64, struct rec_export, receipt_last),
    F(5, RF_U64, struct rec_export, audit_first),
    F(6, RF_U64, struct rec_export, audit_last),
    F(7, RF_U64, struct rec_export, closing_first),
    F(8, RF_U64, struct rec_export, closing_last),
    F(9, RF_BYTES, struct rec_export, prev_hash),
    F(10, RF_BYTES, struct rec_export, file_hash),
    F(11, RF_I64, struct rec_export, written_at),
    F(12, RF_U32, struct rec_export, rewrites),
    F(13, RF_STR, struct rec_export, name),
    F(14, RF_U32, struct rec_export, format),
    F(15, RF_U64, struct rec_export, instruction_first),
    F(16, RF_U64, struct rec_export, instruction_last),
    F(40, RF_U64, struct rec_export, credit_grants),
    F(41, RF_U64, struct rec_export, credit_from_receipt),
    F(42, RF_I64, struct rec_export, credit_money_granted),
    F(43, RF_I64, struct rec_export, credit_money_used),
    F(44, RF_U64, struct rec_export, credit_energy_granted_wh),
    F(45, RF_U64, struct rec_export, credit_energy_used_wh),
    F(46, RF_I64, struct rec_export, credit_expires),
};
LAYOUT(rec_export_layout, struct rec_export, export_fields);

static const struct rec_field hq_kiosk_fields[] = {
    F(1, RF_STR, struct rec_hq_kiosk, id),
    F(2, RF_BYTES, struct rec_hq_kiosk, public_key),
    F(3, RF_I64, struct rec_hq_kiosk, registered_at),
    F(4, RF_STR, struct rec_hq_kiosk, registered_by),
    F(5, RF_STR, struct rec_hq_kiosk, group),
};
LAYOUT(rec_hq_kiosk_layout, struct rec_hq_kiosk, hq_kiosk_fields);

static const struct rec_field hq_file_fields[] = {
    F(1, RF_STR, struct rec_hq_file, kiosk),
    F(2, RF_U64, struct rec_hq_file, sequence),
    F(3, RF_BYTES, struct rec_hq_file, file_hash),
    F(4, RF_BYTES, struct rec_hq_file, prev_hash),
    F(5, RF_STR, struct rec_hq_file, name),
    F(6, RF_I64, struct rec_hq_file, created),
    F(7, RF_I64, struct rec_hq_file, imported_at),
    F(8, RF_U64, struct rec_hq_file, receipt_first),
    F(9, RF_U64, struct rec_hq_file, receipt_last),
    F(10, RF_U64, struct rec_hq_file, receipts),
    F(11, RF_I64, struct rec_hq_file, gross),
    F(12, RF_I64, struct rec_hq_file, vat),
    F(13, RF_I64, struct rec_hq_file, net),
    F(14, RF_U64, struct rec_hq_file, energy_wh),
    F(40, RF_U32, struct rec_hq_file, credit_in),
    F(41, RF_U64, struct rec_hq_file, credit_grants),
    F(42, RF_U64, struct rec_hq_file, credit_from_receipt),
    F(43, RF_I64, struct rec_hq_file, credit_money_granted),
    F(44, RF_I64, struct rec_hq_file, credit_money_used),
    F(45, RF_U64, struct rec_hq_file, credit_energy_granted_wh),
    F(46, RF_U64, struct rec_hq_file, credit_energy_used_wh),
    F(47, RF_I64, struct rec_hq_file, credit_expires),
};
LAYOUT(rec_hq_file_layout, struct rec_hq_file, hq_file_fields);

static const struct rec_field credit_fields[] = {
    F(1, RF_U64, struct rec_credit, grants),
    F(2, RF_U64, struct rec_credit, from_receipt),
    F(3, RF_I64, struct rec_credit, money_granted),
    F(4, RF_I64, struct rec_credit, money_used),
    F(5, RF_U64, struct rec_credit, energy_granted_wh),
    F(6, RF_U64, struct rec_credit, energy_used_wh),
    F(7, RF_I64, struct rec_credit, expires),
    F(8, RF_I64, struct rec_credit, warn_money),
    F(9, RF_U64, struct rec_credit, warn_wh),
    F(10, RF_STR, struct rec_credit, last_grant),
    F(11, RF_I64, struct rec_credit, last_grant_at),
};
LAYOUT(rec_credit_layout, struct rec_credit, credit_fields);

static const struct rec_field credit_grant_fields[] = {
    F(1, RF_STR, struct rec_credit_grant, id),
    F(2, RF_I64, struct rec_credit_grant, money),
    F(3, RF_U64, struct rec_credit_grant, energy_wh),
    F(4, RF_I64, struct rec_credit_grant, expires),
    F(5, RF_I64, struct rec_credit_grant, warn_money),
    F(6, RF_U64, struct rec_credit_grant, warn_wh),
    F(7, RF_I64, struct rec_credit_grant, applied_at),
    F(8, RF_U64, struct rec_credit_grant, instruction),
};
LAYOUT(rec_credit_grant_layout, struct rec_credit_grant, credit_grant_fields);

static const struct rec_field hq_group_fields[] = {
    F(1, RF_STR, struct rec_hq_group, kiosk),
    F(2, RF_U64, struct rec_hq_group, sequence),
    F(3, RF_I64, struct rec_hq_group, day),
    F(4, RF_STR, struct rec_hq_group, tariff),
    F(5, RF_STR, struct rec_hq_group, driver),
    F(6, RF_U64, struct rec_hq_group, first_receipt),
    F(7, RF_U64, struct rec_hq_group, count),
    F(8, RF_I64, struct rec_hq_group, gross),
    F(9, RF_I64, struct rec_hq_group, vat),
    F(10, RF_I64, struct rec_hq_group, net),
    F(11, RF_U64, struct rec_hq_group, energy_wh),
};
LAYOUT(rec_hq_group_layout, struct rec_hq_group, hq_group_fields);

static const struct rec_field mgmt_fields[] = {
    F(1, RF_U64, struct rec_mgmt, number),
    F(2, RF_I64, struct rec_mgmt, time),
    F(3, RF_STR, struct rec_mgmt, kiosk),
    F(4, RF_STR, struct rec_mgmt, clerk),
    F(5, RF_STR, struct rec_mgmt, meter),
    F(6, RF_STR, struct rec_mgmt, type_code),
    F(7, RF_STR, struct rec_mgmt, driver),
    F(8, RF_U32, struct rec_mgmt, op),
    F(9, RF_U64, struct rec_mgmt, arg),
    F(10, RF_STR, struct rec_mgmt, params),
    F(11, RF_STR, struct rec_mgmt, reason),
    F(12, RF_STR, struct rec_mgmt, token_id),
    F(13, RF_STR, struct rec_mgmt, tokens[0]),
    F(14, RF_STR, struct rec_mgmt, tokens[1]),
    F(15, RF_STR, struct rec_mgmt, tokens[2]),
    F(16, RF_STR, struct rec_mgmt, tokens[3]),
    F(17, RF_U32, struct rec_mgmt, n_tokens),
};
LAYOUT(rec_mgmt_layout, struct rec_mgmt, mgmt_fields);

static const struct rec_field trust_fields[] = {
    F(1, RF_STR, struct rec_trust, name),
    F(2, RF_BYTES, struct rec_trust, public_key),
    F(3, RF_I64, struct rec_trust, added_at),
    F(4, RF_STR, struct rec_trust, added_by),
    F(5, RF_I64, struct rec_trust, revoked_at),
    F(6, RF_STR, struct rec_trust, revoked_by),
    F(7, RF_STR, struct rec_trust, revoked_why),
};
LAYOUT(rec_trust_layout, struct rec_trust, trust_fields);

static const struct rec_field instruction_fields[] = {
    F(1, RF_U64, struct rec_instruction, sequence),
    F(2, RF_BYTES, struct rec_instruction, file_hash),
    F(3, RF_STR, struct rec_instruction, name),
    F(4, RF_STR, struct rec_instruction, target),
    F(5, RF_I64, struct rec_instruction, created),
    F(6, RF_I64, struct rec_instruction, expires),
    F(7, RF_I64, struct rec_instruction, applied_at),
    F(8, RF_STR, struct rec_instruction, applied_by),
    F(9, RF_BYTES, struct rec_instruction, signer),
    F(10, RF_STR, struct rec_instruction, signer_name),
    F(11, RF_U64, struct rec_instruction, records),
};
LAYOUT(rec_instruction_layout, struct rec_instruction, instruction_fields);

static const struct rec_field blacklist_fields[] = {
    F(1, RF_STR, struct rec_blacklist, serial),
    F(2, RF_STR, struct rec_blacklist, reason),
    F(3, RF_I64, struct rec_blacklist, added_at),
    F(4, RF_U64, struct rec_blacklist, instruction),
};
LAYOUT(rec_blacklist_layout, struct rec_blacklist, blacklist_fields);

static const struct rec_field hq_instr_fields[] = {
    F(1, RF_STR, struct rec_hq_instr, kiosk),
    F(2, RF_U64, struct rec_hq_instr, sequence),
    F(3, RF_BYTES, struct rec_hq_instr, file_hash),
    F(4, RF_STR, struct rec_hq_instr, name),
    F(5, RF_STR, struct rec_hq_instr, target),
    F(6, RF_I64, struct rec_hq_instr, created),
    F(7, RF_I64, struct rec_hq_instr, expires),
    F(8, RF_U64, struct rec_hq_instr, records),
    F(9, RF_I64, struct rec_hq_instr, applied_at),
    F(10, RF_BYTES, struct rec_hq_instr, applied_hash),
    F(11, RF_U64, struct rec_hq_instr, confirmed_in),
};
LAYOUT(rec_hq_instr_layout, struct rec_hq_instr, hq_instr_fields);

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

size_t rec_encode(const struct rec_layout *l, const void *rec, uint8_t *buf, size_t cap)
{
    const uint8_t *base = rec;
    size_t pos = 0;
    if (cap < 1)
        return 0;
    buf[pos++] = REC_VERSION;
    for (size_t i = 0; i < l->n_fields; i++) {
        const struct rec_field *f = &l->fields[i];
        const uint8_t *src = base + f->offset;
        uint8_t tmp[8];
        size_t n;
        switch (f->type) {
        case RF_STR:
            n = strnlen((const char *)src, f->size);
            if (n == f->size)
                return 0; /* unterminated: refuse rather than truncate */
            if (n == 0)
                continue; /* empty strings are simply absent */
            break;
        case RF_I64:
        case RF_U64: {
            uint64_t v;
            memcpy(&v, src, 8);
            if (v == 0)
                continue; /* absent means zero: new fields keep old encodings */
            put_le(tmp, v, 8);
            src = tmp;
            n = 8;
            break;
        }
        case RF_U32: {
            uint32_t v;
            memcpy(&v, src, 4);
            if (v == 0)
                continue;
            put_le(tmp, v, 4);
            src = tmp;
            n = 4;
            break;
        }
        case RF_BYTES: {
            size_t z = 0;
            while (z < f->size && src[z] == 0)
                z++;
            if (z == f->size)
                continue;
            n = f->size;
            break;
        }
        case RF_BLOB: {
            uint32_t len;
            memcpy(&len, base + f->len_off, sizeof len);
            if (len > f->size)
                return 0;
            if (len == 0)
                continue;
            n = len;
            break;
        }
        default:
            return 0;
        }
        if (n > 0xFFFF || cap - pos < 3 + n)
            return 0;
        buf[pos] = f->tag;
        put_le(buf + pos + 1, n, 2);
        memcpy(buf + pos + 3, src, n);
        pos += 3 + n;
    }
    return pos;
}

static const struct rec_field *find_field(const struct rec_layout *l, uint8_t tag)
{
    for (size_t i = 0; i < l->n_fields; i++)
        if (l->fields[i].tag == tag)
            return &l->fields[i];
    return NULL;
}

int rec_decode(const struct rec_layout *l, const uint8_t *buf, size_t len, void *rec)
{
    uint8_t *base = rec;
    size_t pos = 1;
    uint8_t seen[256 / 8] = {0}; /* a field given twice makes the record malformed */
    memset(rec, 0, l->struct_size);
    if (buf == NULL || len < 1 || buf[0] != REC_VERSION)
        return -1;
    while (pos < len) {
        if (len - pos < 3)
            return -1;
        uint8_t tag = buf[pos];
        size_t n = (size_t)get_le(buf + pos + 1, 2);
        const uint8_t *v = buf + pos + 3;
        if (len - pos - 3 < n)
            return -1;
        pos += 3 + n;
        if (seen[tag / 8] & (1u << (tag % 8)))
            return -1;
        seen[tag / 8] |= (uint8_t)(1u << (tag % 8));
        const struct rec_field *f = find_field(l, tag);
        if (f == NULL)
            continue; /* written by a newer version: skip */
        uint8_t *dst = base + f->offset;
        switch (f->type) {
        case RF_STR:
            if (n >= f->size || memchr(v, '\0', n) != NULL)
                return -1;
            memcpy(dst, v, n);
            dst[n] = '\0';
            break;
        case RF_I64:
        case RF_U64: {
            if (n != 8)
                return -1;
            uint64_t x = get_le(v, 8);
            memcpy(dst, &x, 8);
            break;
        }
        case RF_U32: {
            if (n != 4)
                return -1;
            uint32_t x = (uint32_t)get_le(v, 4);
            memcpy(dst, &x, 4);
            break;
        }
        case RF_BYTES:
            if (n != f->size)
                return -1;
            memcpy(dst, v, n);
            break;
        case RF_BLOB: {
            if (n > f->size)
                return -1;
            uint32_t bl = (uint32_t)n;
            memcpy(dst, v, n);
            memcpy(base + f->len_off, &bl, sizeof bl);
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

void rec_u64_key(uint64_t v, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t rec_u64_from_key(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}
