/*
 * export.h — the kiosk's side of export files (docs/export-format.md).
 *
 * An export covers everything since the previous one: receipts, audit
 * records (which include every meter, customer, tariff, clerk and driver
 * change) and closings. The file is built in memory from immutable records,
 * signed with the kiosk's Ed25519 key (kept wrapped in the key store),
 * written whole to a temporary name and fsynced; then the export is
 * recorded, in one transaction with the new watermarks and an audit
 * record; then the file is renamed into place and the directory fsynced.
 * A file under a final name is always whole and always the one recorded
 * for its sequence number. A process killed before the commit leaves only
 * a temporary file (removed by the next export, which covers everything
 * the lost one would have); killed after it, the next export in that
 * directory puts the recorded file in place first.
 */
#ifndef UV_EXPORT_H
#define UV_EXPORT_H

#include "univend.h"

/* The kiosk's export public key (created with its secret on first use). */
uv_status export_public_key(struct uv_ctx *ctx, uint8_t pub[32]);
/* What an export refused because the kiosk's own disk is full says. */
#define EXPORT_DISK_FULL                                                                    \
    "the disk holding the database is full: the export was not recorded and no file was " \
    "written; free space and export again"

/* Write the next export file into dir (NULL: export_dir from univend.conf).
   With nothing new since the last export, still writes a file (an empty
   period is information too). */
uv_status export_run(struct uv_ctx *ctx, const char *dir, struct rec_export *out);
/* Write files first..last again, byte for byte as first written. */
uv_status export_rewrite(struct uv_ctx *ctx, uint64_t first, uint64_t last, const char *dir,
                         FILE *out);
uv_status export_list(struct uv_ctx *ctx, FILE *out);
/* Is an export due by the periodic settings (export_every_sales,
   export_daily_at)? */
int export_due(struct uv_ctx *ctx);
/* export_run when due; quiet otherwise. */
uv_status export_if_due(struct uv_ctx *ctx, struct rec_export *out, int *written);

/* Build the file content for e (for rewrite and tests); *buf malloc'ed. */
uv_status export_build(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_export *e, char **buf,
                       size_t *len);

#endif
