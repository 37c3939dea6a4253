/*
 * hqinstruct.h — head office's side of instruction files: kiosk groups,
 * building and signing a file for one kiosk, a group or all, what was sent,
 * and what the kiosks' exports confirm they applied.
 */
#ifndef UV_HQINSTRUCT_H
#define UV_HQINSTRUCT_H

#include "univend.h"

#define HQ_INSTRUCT_DRIVERS_MAX 8

struct hq_instruct_opts {
    const char *kiosk;      /* exactly one of kiosk, group, all */
    const char *group;
    int all;
    unsigned expires_days;  /* 0: HQ_INSTRUCT_EXPIRES_DAYS */
    const char *records;    /* file of record lines, "-" for stdin, NULL none */
    const char *drivers[HQ_INSTRUCT_DRIVERS_MAX]; /* .so files to send */
    size_t n_drivers;
    const char *out_dir;    /* where the file is written */
};
#define HQ_INSTRUCT_EXPIRES_DAYS 30

/* Set the group a registered kiosk belongs to (empty: none). Audited. */
uv_status hq_kiosk_group(struct uv_ctx *ctx, const char *kiosk, const char *group);

/* Build, sign and write one instruction file; each addressed kiosk gets its
   next sequence number. Every record is checked as the kiosk will check
   it; a driver is probed as the kiosk will probe it. Prints what it wrote. */
uv_status hq_instruct(struct uv_ctx *ctx, const struct hq_instruct_opts *o, FILE *out);

/* Import: kiosk's export confirms it applied `ri` (inside the import txn). */
uv_status hq_instruct_confirm(struct uv_ctx *ctx, DB_TXN *txn, const char *kiosk,
                              const struct rec_instruction *ri, uint64_t export_seq);

/* Per kiosk: instructions sent and applied, what is pending. */
uv_status hq_instruct_report(struct uv_ctx *ctx, FILE *out);

#endif
