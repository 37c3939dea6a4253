/*
 * instruct.h — the kiosk's side of instruction files from head office
 * (docs/instruction-format.md).
 *
 * A file is applied only when it is well formed, addressed to this kiosk,
 * signed by a head office key the kiosk trusts (trust.h), not expired, and
 * carries exactly the next sequence number of this kiosk. All its records
 * then go in ONE transaction, in file order, with the applied file's
 * record, the new sequence and an audit record: a failure anywhere leaves
 * the kiosk exactly as it was (driver files it wrote are removed again).
 * Every refusal says why and is audited.
 *
 * Meta values, written in that same transaction:
 *   instruct.seq            u64 BE: the last sequence applied here
 *   instruct.last_hq_time   8 bytes BE, int64 Unix seconds: the latest
 *                           head office time (created) of any applied file
 *                           (the clock guard's floor)
 */
#ifndef UV_INSTRUCT_H
#define UV_INSTRUCT_H

#include "univend.h"

#define META_INSTR_SEQ "instruct.seq"
#define META_INSTR_HQ_TIME "instruct.last_hq_time"

struct instruct_stats {
    unsigned files, applied, already, skipped, refused;
};

/* Apply files and directories (their *.uvi files, in this kiosk's sequence
   order). One line per file on out. A file named on its own that is not
   for this kiosk, or was applied already, is refused; in a directory such
   files are skipped quietly (a medium carries other kiosks' files and old
   ones). UVS_REFUSED when any file was refused. */
uv_status instruct_apply(struct uv_ctx *ctx, char *const *paths, size_t n, FILE *out,
                         struct instruct_stats *stats);
/* Apply what is in the configured import_dir. */
uv_status instruct_apply_import_dir(struct uv_ctx *ctx, FILE *out, struct instruct_stats *stats);
/* The applied files, oldest first. */
uv_status instruct_list(struct uv_ctx *ctx, FILE *out);
/* The last sequence applied (0: none) and the head office time floor (0). */
uv_status instruct_state(struct uv_ctx *ctx, DB_TXN *txn, uint64_t *seq, int64_t *hq_time);

#endif
