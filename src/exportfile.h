/*
 * exportfile.h — the export file format (docs/export-format.md): writing
 * one, and reading one strictly. No storage here: the kiosk side (export.c)
 * and head office (hq.c) feed and consume records.
 */
#ifndef UV_EXPORTFILE_H
#define UV_EXPORTFILE_H

#include <stdint.h>
#include <stdio.h>

#include "../db/record.h"
#include "status.h"

#define EXPORT_MAGIC "UNIVEND-EXPORT 1"   /* version 1: still read */
#define EXPORT_MAGIC_V2 "UNIVEND-EXPORT 2" /* version 2: still read */
#define EXPORT_MAGIC_V3 "UNIVEND-EXPORT 3"
#define EXPORT_VERSION 3                   /* what new exports are written as */
#define EXPORT_SIG_CONTEXT "univend-export-1" /* + NUL: 17 bytes */

struct export_header {
    unsigned version;          /* 1, 2 or 3; 0 is written as 1 */
    char kiosk[REC_ID_MAX];
    uint64_t sequence;
    int64_t created;
    char currency[4];
    unsigned currency_decimals;
    uint64_t receipt_first, receipt_last;
    uint64_t audit_first, audit_last;
    uint64_t closing_first, closing_last;
    uint8_t prev_hash[32];
    uint64_t receipts, audits, closings;
    int64_t total_gross, total_vat, total_net;
    uint64_t total_energy_wh;
    uint8_t public_key[32];
    /* version 2: instruction files applied since the previous export */
    uint64_t instruction_first, instruction_last, instructions;
    /* version 3: the vending credit as of this file (credit.h); left is
       granted - used, negative for a kind never granted (not limited) */
    uint64_t credit_grants, credit_from_receipt;
    int64_t credit_money_granted, credit_money_used;
    uint64_t credit_energy_granted_wh, credit_energy_used_wh;
    int64_t credit_expires;
};

/* Writing: header, then records in order R*, A*, Z*, I* (version 2), then
   the signature. */
void exportfile_write_header(FILE *out, const struct export_header *h);
void exportfile_write_receipt(FILE *out, const struct rec_receipt *r);
void exportfile_write_audit(FILE *out, const struct rec_audit *a);
void exportfile_write_closing(FILE *out, const struct rec_closing *c);
void exportfile_write_instruction(FILE *out, const struct rec_instruction *i);
/* The message the signature covers: context + NUL + SHA-256(body). */
void exportfile_signed_message(const void *body, size_t len, uint8_t msg[17 + 32]);
void exportfile_write_signature(FILE *out, const uint8_t sig[64]);

/* Reading. The callback gets each record as it is parsed ('R' rec_receipt,
   'A' rec_audit, 'Z' rec_closing, 'I' rec_instruction) and returns 0 to go on or a uv_status
   to stop. May be NULL. */
typedef int (*exportfile_record_fn)(int kind, const void *rec, void *arg);

struct export_parsed {
    struct export_header h;
    size_t body_len;   /* bytes covered by the signature */
    uint8_t sig[64];
};

/* Parse and check everything but the signature: structure, every field,
   counts, totals, contiguous ranges. UVS_INPUT with a message naming the
   line on any fault. */
uv_status exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                           exportfile_record_fn fn, void *arg, struct uv_error *err);
/* Read only the header and find the signature line (so the signature can
   be checked before the records are parsed). Fills p->h, p->body_len, p->sig. */
uv_status exportfile_peek(const char *buf, size_t len, struct export_parsed *p,
                          struct uv_error *err);
/* Check the signature of a parsed file under pub. UVS_REFUSED if bad. */
uv_status exportfile_verify(const char *buf, const struct export_parsed *p,
                            const uint8_t pub[32], struct uv_error *err);
/* The same, also giving the SHA-256 of the whole file (buf, len) from the
   same pass over the data. */
uv_status exportfile_verify_hash(const char *buf, size_t len, const struct export_parsed *p,
                                 const uint8_t pub[32], uint8_t file_hash[32],
                                 struct uv_error *err);

/* "univend-<kiosk>-<seq:08>.uvx" */
void exportfile_name(const char *kiosk, uint64_t seq, char *out, size_t cap);

#endif
