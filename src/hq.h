/*
 * hq.h — head office: the kiosks it trusts, importing their export files,
 * and what it reports to people and to billing.
 *
 * Every file is checked whole before anything of it is merged (format,
 * registered kiosk, Ed25519 signature, counts, totals, ranges, the hash
 * chain to its neighbours) and merged in one transaction, so a refused file
 * leaves no trace and importing the same file again changes nothing. What
 * is kept of a file: its bytes as signed, its range of receipt numbers and
 * its receipts summed per day, tariff and driver (hqstore.h).
 *
 * Durability: each file's transaction commits without waiting for the disk;
 * before hq_import returns it flushes and syncs the log once, so every file
 * it reported imported is on disk when it returns (also when it returns a
 * refusal). A crash in the middle of a batch keeps each file whole or not at
 * all; importing the batch again adds the files that did not reach the disk
 * and reports the others as already imported.
 */
#ifndef UV_HQ_H
#define UV_HQ_H

#include "univend.h"

uv_status hq_kiosk_add(struct uv_ctx *ctx, const char *id, const char *pubkey_hex);
uv_status hq_kiosk_list(struct uv_ctx *ctx, FILE *out);

struct hq_import_stats {
    unsigned files, imported, already, refused;
    uint64_t receipts;
    double seconds;
};

/* Import files and directories (their *.uvx files, in name order). One line
   per file on out; progress on progress (NULL: none). UVS_REFUSED when any
   file was refused (the others are still imported). */
uv_status hq_import(struct uv_ctx *ctx, char *const *paths, size_t n, FILE *out, FILE *progress,
                    struct hq_import_stats *stats);
/* Sales by kiosk, day, tariff and driver, and the missing files. */
uv_status hq_report(struct uv_ctx *ctx, FILE *out);
/* Missing sequence numbers of every kiosk, one line each; *n_missing set. */
uv_status hq_missing(struct uv_ctx *ctx, FILE *out, uint64_t *n_missing);
/* Every imported receipt as CSV for a billing system. */
uv_status hq_export_csv(struct uv_ctx *ctx, FILE *out);

#endif
