/*
 * print.h — receipts and reports to the printer named in univend.conf.
 *
 *   printer = /dev/usb/lp0      a device or file path; empty: no printer
 *   printer_format = escpos     escpos (thermal printers) or text
 *
 * ESC/POS output initialises the printer, prints the receipt text with the
 * token line in double size, feeds and cuts. A printer that is missing,
 * full or off line gives UVS_IO with the reason; the sale is already stored
 * and can be reprinted.
 */
#ifndef UV_PRINT_H
#define UV_PRINT_H

#include "report.h"
#include "univend.h"

uv_status print_receipt(struct uv_ctx *ctx, const struct rec_receipt *r);
uv_status print_report(struct uv_ctx *ctx, const struct uv_report *rep);
/* Render to a memory buffer (for tests and the UI preview): *buf malloc'ed. */
uv_status print_render_receipt(struct uv_ctx *ctx, const struct rec_receipt *r, int escpos,
                               char **buf, size_t *len);

#endif
