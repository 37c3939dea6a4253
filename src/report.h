/*
 * report.h — shift and day (Z) reports, and closing them.
 *
 * A shift report covers one clerk's sales since that clerk's last shift
 * closing; a day report covers all sales since the last day closing.
 * Closing records the range and totals in the closings database and the
 * audit log, in one transaction, and starts the next period.
 */
#ifndef UV_REPORT_H
#define UV_REPORT_H

#include "univend.h"

#define UV_REPORT_ROWS 32

struct uv_totals {
    char key[REC_ID_MAX];   /* clerk, tariff or driver; "" for the total */
    uint64_t count;
    int64_t gross, vat, net;
    uint64_t energy_wh;
};

struct uv_report {
    uint32_t kind;                 /* CLOSING_SHIFT or CLOSING_DAY        */
    char clerk[REC_ID_MAX];        /* shift reports                      */
    uint64_t after;                /* covers receipts after this number  */
    uint64_t first_receipt, last_receipt; /* 0,0 when no sales            */
    int64_t from, to;              /* time of first and last sale        */
    struct uv_totals total;
    struct uv_totals by_clerk[UV_REPORT_ROWS], by_tariff[UV_REPORT_ROWS],
        by_driver[UV_REPORT_ROWS];
    size_t n_clerk, n_tariff, n_driver;
};

uv_status report_shift(struct uv_ctx *ctx, const char *clerk, struct uv_report *r);
uv_status report_day(struct uv_ctx *ctx, struct uv_report *r);
/* Close the period the report covers; *closing gets the closing number. */
uv_status report_close(struct uv_ctx *ctx, const struct uv_report *r, uint64_t *closing);
/* Plain text, 40 columns, for screen, printer and CLI. */
void report_print(struct uv_ctx *ctx, const struct uv_report *r, FILE *out);

#endif
