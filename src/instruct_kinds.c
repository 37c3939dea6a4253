/* instruct_kinds.c — the table of instruction record kinds. */
#include "instruct_kinds.h"

#include <string.h>

#include "instruct_apply.h"
#include "textrec.h"

#define BLOB(i) (1u << (i))

static const struct instr_kind kinds[] = {
    /* name               min max blobs              all  check / apply */
    {"tariff",            7, 10, 0,                  0, ik_tariff_check, ik_tariff_apply},
    {"customer",          2, 4,  0,                  0, ik_customer_check, ik_customer_apply},
    {"debt",              4, 4,  0,                  0, ik_debt_check, ik_debt_apply},
    {"meter",             4, 20, 0,                  1, ik_meter_check, ik_meter_apply},
    {"meter-remove",      1, 1,  0,                  0, ik_meter_remove_check, ik_meter_remove_apply},
    {"clerk",             3, 3,  0,                  0, ik_clerk_check, ik_clerk_apply},
    {"clerk-disable",     1, 1,  0,                  0, ik_clerk_state_check, ik_clerk_state_apply},
    {"clerk-enable",      1, 1,  0,                  0, ik_clerk_state_check, ik_clerk_state_apply},
    {"driver",            4, 5,  BLOB(3) | BLOB(4),  0, ik_driver_check, ik_driver_apply},
    {"driver-retire",     1, 1,  0,                  0, ik_driver_retire_check, ik_driver_retire_apply},
    {"typeindex",         3, 3,  0,                  0, ik_typeindex_check, ik_typeindex_apply},
    {"trust-add",         2, 2,  0,                  0, ik_trust_add_check, ik_trust_add_apply},
    {"revoke-key",        1, 1,  0,                  0, ik_revoke_key_check, ik_revoke_key_apply},
    {"blacklist",         1, 2,  0,                  0, ik_blacklist_check, ik_blacklist_apply},
    {"blacklist-remove",  1, 1,  0,                  0, ik_blacklist_remove_check, ik_blacklist_remove_apply},
    {"credit",            4, 6,  0,                  0, ik_credit_check, ik_credit_apply},
    {"time-floor",        1, 1,  0,                  0, ik_time_floor_check, ik_time_floor_apply},
};

const struct instr_kind *instr_kind_find(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

const struct instr_kind *instr_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

int instr_scope_mine(const struct instr_record *r, const char *kiosk_id)
{
    return strcmp(r->scope, "*") == 0 || strcmp(r->scope, kiosk_id) == 0;
}

/* ---- helpers shared by the kinds ------------------------------------- */

int ik_u64(const char *s, uint64_t *v)
{
    return tr_parse_u64(s, strlen(s), v);
}

int ik_i64(const char *s, int64_t *v)
{
    return tr_parse_i64(s, strlen(s), v);
}

int ik_text(const char *s, size_t cap)
{
    size_t n = strlen(s);
    return n < cap && tr_printable(s, n) ? 0 : -1;
}

const char *ik_by(const struct instr_record *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "instruction %llu", r->run ? (unsigned long long)r->run->seq : 0ULL);
    return buf;
}
