/*
 * instruct_kinds.h — the record kinds of instruction files: one table,
 * kind name -> field count, syntax check, apply function.
 *
 * The check is pure (no storage): head office runs it on what it is asked
 * to send and the kiosk on every record it reads, before the signature is
 * even looked at. The apply function runs at the kiosk inside the one
 * transaction of its file and must use that transaction for every read and
 * write (a read outside it would wait for the transaction's own locks).
 * It sees only records whose scope is "*" or this kiosk, unless the kind
 * says all_scopes (a meter moved to another kiosk leaves this one).
 *
 * A new kind is one line in the table (instruct_kinds.c) and its two
 * functions; a kiosk refuses a file holding a kind it does not know.
 */
#ifndef UV_INSTRUCT_KINDS_H
#define UV_INSTRUCT_KINDS_H

#include "instructfile.h"
#include "univend.h"

/* The file being applied (instruct.c): what apply functions may need
   beyond the record. */
struct instr_run {
    uint64_t seq;                /* this kiosk's sequence number of the file */
    const struct instr_header *h;
    char signer_name[REC_ID_MAX];
    uint8_t signer[32];
    /* driver files written by this file, removed again if it fails */
#define INSTR_CREATED_MAX 32     /* driver files one instruction file may write */
    char created[INSTR_CREATED_MAX][144];
    size_t n_created;
    unsigned meters, customers, tariffs, clerks, drivers, other;
};

struct instr_kind {
    const char *name;
    unsigned min_fields, max_fields; /* fields after kind and scope */
    uint32_t blob_fields;            /* bit i: field i may exceed INSTR_FIELD_MAX */
    int all_scopes;
    uv_status (*check)(const struct instr_record *r, struct uv_error *err);
    /* r->run is the file being applied */
    uv_status (*apply)(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r);
};

const struct instr_kind *instr_kind_find(const char *name);
/* Every kind, for documentation and tests; *n set. */
const struct instr_kind *instr_kinds(size_t *n);

/* Does the record concern this kiosk (scope "*" or its id)? */
int instr_scope_mine(const struct instr_record *r, const char *kiosk_id);

#endif
