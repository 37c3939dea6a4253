/*
 * instruct_apply.h — the check and apply functions of each record kind
 * (the table is in instruct_kinds.c; the record syntax is in
 * docs/instruction-format.md). Master data in instruct_md.c, drivers and
 * the type index in instruct_drv.c, keys and blacklisted cards in
 * instruct_sec.c, the vending credit and the clock's floor in instruct_credit.c.
 */
#ifndef UV_INSTRUCT_APPLY_H
#define UV_INSTRUCT_APPLY_H

#include "instruct_kinds.h"

#define INSTR_KIND(fn)                                                                   \
    uv_status fn##_check(const struct instr_record *r, struct uv_error *err);             \
    uv_status fn##_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)

INSTR_KIND(ik_tariff);
INSTR_KIND(ik_customer);
INSTR_KIND(ik_debt);
INSTR_KIND(ik_meter);
INSTR_KIND(ik_meter_remove);
INSTR_KIND(ik_clerk);
INSTR_KIND(ik_clerk_state);
INSTR_KIND(ik_driver);
INSTR_KIND(ik_driver_retire);
INSTR_KIND(ik_typeindex);
INSTR_KIND(ik_trust_add);
INSTR_KIND(ik_revoke_key);
INSTR_KIND(ik_blacklist);
INSTR_KIND(ik_blacklist_remove);
INSTR_KIND(ik_credit);
INSTR_KIND(ik_time_floor);

/* A credit record as a grant (head office records what it sends with it). */
uv_status ik_credit_grant(const struct instr_record *r, struct rec_credit_grant *g,
                         struct uv_error *err);

/* Shared by the kinds: a field as an id, a number, text. 0 ok, -1 not. */
int ik_u64(const char *s, uint64_t *v);
int ik_i64(const char *s, int64_t *v);
int ik_text(const char *s, size_t cap);
/* "instruction N" for audit details. */
const char *ik_by(const struct instr_record *r, char *buf, size_t cap);

#endif
