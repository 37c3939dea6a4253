/*
 * instructfile.h — the instruction file format (docs/instruction-format.md):
 * writing one, and reading one strictly. No storage here: head office
 * (hqinstruct.c) writes files, the kiosk (instruct.c) applies them; both
 * check every record with the same kind table (instruct_kinds.h).
 */
#ifndef UV_INSTRUCTFILE_H
#define UV_INSTRUCTFILE_H

#include <stdint.h>
#include <stdio.h>

#include "../db/record.h"
#include "status.h"

#define INSTR_MAGIC "UNIVEND-INSTRUCTION 1"
#define INSTR_SIG_CONTEXT "univend-instruction-1" /* + NUL: 22 bytes */
#define INSTR_SIG_CONTEXT_LEN 22
#define INSTR_FILE_MAX (64L * 1024 * 1024)      /* a larger file is refused */
#define INSTR_TARGET_MAX 48
#define INSTR_KIOSKS_MAX 10000
#define INSTR_RECORDS_MAX 50000                 /* one transaction's worth; split above */
#define INSTR_FIELDS_MAX 24                     /* kind, scope and up to 22 more */
#define INSTR_FIELD_MAX 512                     /* a field's bytes, NUL included... */
#define INSTR_BLOB_MAX (48L * 1024 * 1024)      /* ...except a kind's blob fields */

struct instr_header {
    char target[INSTR_TARGET_MAX]; /* "kiosk:ID", "group:NAME" or "all" */
    int64_t created;               /* head office time, Unix seconds   */
    int64_t expires;               /* not applied after this            */
    uint8_t signer[32];            /* head office public key            */
    uint64_t kiosks, records;
};

/* One record as parsed: kind, scope ("*" or a kiosk id) and the fields
   after them, valid during the callback only. */
struct instr_record {
    const struct instr_header *h;
    unsigned line;      /* line in the file            */
    uint64_t index;     /* 1 for the first record      */
    const char *kind, *scope;
    char **f;           /* the fields after kind and scope */
    size_t nf;
    const struct instr_kind *k;
    struct instr_run *run; /* set by the kiosk while applying; NULL else */
};

/* Writing: header, the kiosks with their sequence numbers (ids in byte
   order), the records, then the signature. */
void instrfile_write_header(FILE *out, const struct instr_header *h);
void instrfile_write_kiosk(FILE *out, const char *kiosk, uint64_t seq);
/* One record line from its fields (kind, scope, ...), CSV-quoted as needed. */
void instrfile_write_record(FILE *out, char *const *fields, size_t n);
void instrfile_signed_message(const void *body, size_t len, uint8_t msg[INSTR_SIG_CONTEXT_LEN + 32]);
void instrfile_write_signature(FILE *out, const uint8_t sig[64]);

/* Reading. kiosk_fn gets each K line, record_fn each record after its kind
   checked it (both may be NULL); each returns 0 to go on or a uv_status to
   stop with. */
typedef int (*instrfile_kiosk_fn)(const char *kiosk, uint64_t seq, void *arg);
typedef int (*instrfile_record_fn)(const struct instr_record *r, void *arg);

struct instr_parsed {
    struct instr_header h;
    size_t body_len; /* bytes covered by the signature */
    uint8_t sig[64];
};

/* Parse and check everything but the signature: header, kiosks (ids valid,
   increasing, sequences > 0), record count, every record by its kind's
   check. UVS_INPUT naming the line on any fault. */
uv_status instrfile_parse(const char *buf, size_t len, struct instr_parsed *p,
                          instrfile_kiosk_fn kiosk_fn, instrfile_record_fn record_fn, void *arg,
                          struct uv_error *err);
/* Check one record line (kind, scope, fields) by its kind: head office uses
   it on what it is asked to send. */
uv_status instrfile_check_line(const char *line, size_t n, unsigned lineno, struct uv_error *err);
/* Ed25519 signature of a parsed file under its header's signer key.
   UVS_REFUSED when it does not verify. file_hash (may be NULL) gets the
   SHA-256 of the whole file. */
uv_status instrfile_verify(const char *buf, size_t len, const struct instr_parsed *p,
                           uint8_t file_hash[32], struct uv_error *err);

/* "instruct-KIOSK-<its sequence:08>.uvi", "instruct-group-NAME-<n:08>.uvi",
   "instruct-all-<n:08>.uvi" (n: head office's own count of such files) */
void instrfile_name(const char *target, uint64_t n, char *out, size_t cap);

#endif
