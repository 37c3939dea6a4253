/*
 * hqstore.h — how head office keeps what it imports (db/store.h lists the
 * databases): the keys of the hq-* databases, shared by the import (hq.c)
 * and the reports (hqreport.c).
 *
 * Each imported file is kept whole, as signed (hq-filedata.db): the
 * receipts are read from it. Beside it: the file's record (hq-files.db),
 * the range of receipt numbers it holds (hq-ranges.db, which finds a
 * receipt's file and refuses a receipt imported twice) and its receipts
 * summed per UTC day, tariff and driver (hq-groups.db, what hq report adds).
 * What a file says beyond its receipts goes where it is used: its audit
 * records and closings (hq-audit.db, hq-closings.db), the instruction files
 * it confirms applied (hq-instructions.db, hqinstruct.h) and the vending
 * credit it reports (in its record; hqcredit.h reconciles it against the
 * receipts read back from the files).
 */
#ifndef UV_HQSTORE_H
#define UV_HQSTORE_H

#include "univend.h"

#define HQ_KEY_MAX (REC_ID_MAX + 13)

/* kiosk NUL n (u64 BE); returns the length */
size_t hq_key(const char *kiosk, uint64_t n, uint8_t *out);
/* kiosk NUL seq (u64 BE) index (u32 BE) */
size_t hq_group_key(const char *kiosk, uint64_t seq, uint32_t index, uint8_t *out);

/* The bytes of kiosk's file seq as imported, into *buf (grown as needed;
   the caller frees it), checked against the hash it was imported with; its
   record into *f when f is not NULL. UVS_STORE when it is listed but not
   stored, or differs. */
uv_status hq_file_read(struct uv_ctx *ctx, const char *kiosk, uint64_t seq, void **buf,
                       size_t *cap, size_t *len, struct rec_hq_file *f);

/* Refuse a head office store an earlier univend wrote (receipts one by one
   in hq-receipts.db), so nothing in it is silently left out. */
uv_status hq_store_check(struct uv_ctx *ctx);

/* Days since 1970-01-01 (UTC) of a Unix time, rounding down. */
int64_t hq_utc_day(int64_t t);

#endif
