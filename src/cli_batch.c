/* cli_batch.c — `univend sell --batch FILE|-`: many sales in one process. */
#include "cli_batch.h"

#include <stdlib.h>
#include <string.h>

#include "cli_float.h"
#include "export.h"
#include "money.h"
#include "print.h"
#include "vend.h"

/* What a sale does after its commit, as `univend sell` does: the receipt
   printer, and a periodic export when one is due. Messages to stderr. */
static void after_sale(struct uv_ctx *ctx, const struct rec_receipt *r)
{
    if (print_receipt(ctx, r) != UVS_OK)
        fprintf(stderr, "univend: receipt %llu not printed: %s\n", (unsigned long long)r->number,
                ctx->err.message);
    struct rec_export e;
    int written = 0;
    if (export_if_due(ctx, &e, &written) != UVS_OK)
        fprintf(stderr, "univend: periodic export not written: %s\n", ctx->err.message);
    else if (written)
        fprintf(stderr, "univend: export %s written\n", e.name);
}

static void print_sold(struct uv_ctx *ctx, FILE *out, unsigned long line,
                       const struct rec_receipt *r)
{
    char total[32];
    money_format(r->gross, ctx->cfg.currency_decimals, total, sizeof total);
    fprintf(out, "ok %lu receipt %llu meter %s total %s", line, (unsigned long long)r->number,
            r->meter, total);
    if (r->n_tokens)
        fputs(" token", out);
    for (unsigned i = 0; i < r->n_tokens; i++)
        fprintf(out, " %s", r->tokens[i]);
    fputc('\n', out);
}

int cli_sell_batch(struct uv_ctx *ctx, FILE *in, FILE *out)
{
    char *buf = NULL;
    size_t cap = 0;
    unsigned long line = 0;
    int first_failure = 0;
    while (getline(&buf, &cap, in) >= 0) {
        line++;
        char meter[64], amount[64], extra[2];
        char *p = buf + strspn(buf, " \t\r\n");
        if (*p == '\0' || *p == '#')
            continue;
        uv_error_clear(&ctx->err);
        uv_status st;
        struct rec_receipt r;
        int n = sscanf(p, "%63s %63s %1s", meter, amount, extra);
        if (n != 2) {
            if (n < 1)
                snprintf(meter, sizeof meter, "?");
            st = uv_fail(&ctx->err, UVS_INPUT, "a line is METER AMOUNT");
        } else {
            st = vend_sell(ctx, meter, amount, &r);
        }
        if (st == UVS_OK) {
            print_sold(ctx, out, line, &r);
            fflush(out); /* the token is out the moment the sale is committed */
            after_sale(ctx, &r);
            continue;
        }
        fprintf(out, "error %lu meter %s: %s\n", line, meter,
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
        fflush(out);
        if (!first_failure)
            first_failure = (int)st;
        if (st == UVS_STORE || st == UVS_NOMEM) {
            fprintf(out, "stopped %lu: the lines after this one were not tried\n", line);
            fflush(out);
            break;
        }
    }
    if (ferror(in) && !first_failure) {
        fprintf(stderr, "univend: reading the batch failed after line %lu\n", line);
        first_failure = UVS_IO;
    }
    free(buf);
    cli_credit_warning(ctx); /* once for the batch: the vending credit is running low */
    return first_failure;
}
