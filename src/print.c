/* print.c — receipts and reports to a printer device or file (ESC/POS or text). */
#include "print.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "receipt.h"

#define ESC "\x1b"
#define GS "\x1d"
/* ESC/POS commands contain NUL bytes: always write them with their length */
#define CMD(out, lit) fwrite(lit, 1, sizeof(lit) - 1, out)

/* Wrap plain text in ESC/POS: initialise, token lines double size, feed, cut. */
static void escpos_wrap(const char *text, FILE *out)
{
    CMD(out, ESC "@"); /* initialise */
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        int big = strncmp(p, "TOKEN", 5) == 0;
        if (big)
            CMD(out, GS "!\x11" ESC "E\x01"); /* double width+height, bold */
        fwrite(p, 1, n, out);
        if (big)
            CMD(out, GS "!\x00" ESC "E\x00");
        p += n;
    }
    CMD(out, ESC "d\x04");    /* feed 4 lines */
    CMD(out, GS "V\x42\x00"); /* partial cut */
}

static uv_status render(struct uv_ctx *ctx, int escpos, void (*fn)(struct uv_ctx *, const void *, FILE *),
                        const void *what, char **buf, size_t *len)
{
    char *text = NULL;
    size_t tlen = 0;
    FILE *m = open_memstream(&text, &tlen);
    if (m == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory rendering a printout");
    fn(ctx, what, m);
    fclose(m);
    if (!escpos) {
        *buf = text;
        *len = tlen;
        return UVS_OK;
    }
    m = open_memstream(buf, len);
    if (m == NULL) {
        free(text);
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory rendering a printout");
    }
    escpos_wrap(text, m);
    fclose(m);
    free(text);
    return UVS_OK;
}

static void receipt_fn(struct uv_ctx *ctx, const void *r, FILE *out)
{
    receipt_print(ctx, r, out);
}

static void report_fn(struct uv_ctx *ctx, const void *r, FILE *out)
{
    report_print(ctx, r, out);
}

uv_status print_render_receipt(struct uv_ctx *ctx, const struct rec_receipt *r, int escpos,
                               char **buf, size_t *len)
{
    return render(ctx, escpos, receipt_fn, r, buf, len);
}

static uv_status send(struct uv_ctx *ctx, const char *buf, size_t len)
{
    int fd = open(ctx->cfg.printer, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO,
                       "printer %s: %s; the sale is stored, reprint when the printer is back",
                       ctx->cfg.printer, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return uv_fail(&ctx->err, UVS_IO,
                           "printer %s: %s; the sale is stored, reprint when the printer is back",
                           ctx->cfg.printer, w < 0 ? strerror(e) : "wrote nothing");
        }
        done += (size_t)w;
    }
    if (close(fd) != 0)
        return uv_fail(&ctx->err, UVS_IO, "printer %s: %s", ctx->cfg.printer, strerror(errno));
    return UVS_OK;
}

static uv_status print_any(struct uv_ctx *ctx, void (*fn)(struct uv_ctx *, const void *, FILE *),
                           const void *what)
{
    char *buf;
    size_t len;
    if (ctx->cfg.printer[0] == '\0')
        return UVS_OK; /* no printer configured */
    uv_status st = render(ctx, ctx->cfg.printer_escpos, fn, what, &buf, &len);
    if (st != UVS_OK)
        return st;
    st = send(ctx, buf, len);
    free(buf);
    return st;
}

uv_status print_receipt(struct uv_ctx *ctx, const struct rec_receipt *r)
{
    return print_any(ctx, receipt_fn, r);
}

uv_status print_report(struct uv_ctx *ctx, const struct uv_report *rep)
{
    return print_any(ctx, report_fn, rep);
}
