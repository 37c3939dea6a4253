/*
 * hqcredit.h — head office's side of the vending credit: the grants it
 * sent each kiosk (recorded as an instruction file is built) and the
 * reconciliation, per kiosk, against what the kiosks' exports report:
 *
 *   granted (head office's grants in instruction files the kiosk confirmed
 *   applying) - sales received (every receipt from the first one counted
 *   against the credit) = the credit left the kiosk's newest export reports
 *
 * and the kiosk's own total granted must be head office's. Anything else is
 * shown as a MISMATCH with both figures.
 */
#ifndef UV_HQCREDIT_H
#define UV_HQCREDIT_H

#include "univend.h"

/* Inside hq_instruct's transaction: record every credit record of the
   built file (buf, len) for each addressed kiosk it concerns; ids[i] gets
   the file as instruction seqs[i]. A grant id already sent to a kiosk with
   other amounts is refused. */
uv_status hq_credit_sent(struct uv_ctx *ctx, DB_TXN *txn, const char *buf, size_t len,
                         const char (*ids)[REC_ID_MAX], const uint64_t *seqs, size_t n);

/* The reconciliation section of `univend hq report`; *mismatches counts
   the kiosks that do not reconcile. */
uv_status hq_credit_report(struct uv_ctx *ctx, FILE *out, unsigned *mismatches);

#endif
