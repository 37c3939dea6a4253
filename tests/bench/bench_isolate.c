/*
 * bench_isolate.c — what running a driver in its own host process costs:
 * the bare round trip (a strerror call: no driver work), decode_token calls
 * through the host process and the same driver dlopen()ed here (a bench may;
 * univend never does), and the sale latency with the driver here, to set
 * beside the sale latency through the host process that bench.c measures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drvproxy.h"
#include "masterdata.h"
#include "params.h"
#include "typeindex.h"
#include "univend.h"
#include "vend.h"

double bench_now(void);
void bench_isolate(struct uv_ctx *ctx, const char *meter, const char *token);

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* decode_token calls per second through d */
static double decodes_per_s(struct uv_loaded *d, const struct uv_meter *view, const char *token,
                            int n)
{
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        struct uv_token_info ti;
        memset(&ti, 0, sizeof ti);
        ti.struct_size = sizeof ti;
        if (d->desc->decode_token(d->dctx, view, token, &ti) != UV_OK) {
            fprintf(stderr, "bench: decode failed\n");
            exit(1);
        }
    }
    return n / (bench_now() - t0);
}

/* p50 of n sales each with the driver through d as it is and with the
   driver in this process (here), interleaved so that both see the same
   disk and load; in ms */
static void sale_p50(struct uv_ctx *ctx, const char *meter, struct uv_loaded *d,
                     struct uv_loaded *here, int n, double *p_proxied, double *p_here)
{
    double *lat[2] = {calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double))};
    struct uv_loaded keep = *d;
    struct rec_receipt r;
    for (int i = 0; i < 2 * n; i++) {
        *d = (i & 1) ? *here : keep; /* odd: sales call the driver in this process */
        double a = bench_now();
        uv_status st = vend_sell(ctx, meter, "10.00", &r);
        lat[i & 1][i / 2] = bench_now() - a;
        *d = keep;
        if (st != UVS_OK) {
            fprintf(stderr, "bench: sale: %s\n", ctx->err.message);
            exit(1);
        }
    }
    for (int k = 0; k < 2; k++)
        qsort(lat[k], (size_t)n, sizeof(double), cmp);
    *p_proxied = lat[0][n / 2] * 1e3;
    *p_here = lat[1][n / 2] * 1e3;
    free(lat[0]);
    free(lat[1]);
}

void bench_isolate(struct uv_ctx *ctx, const char *meter, const char *token)
{
    struct uv_loaded *d = NULL;
    struct rec_typeidx e;
    struct rec_meter m;
    struct uv_param_set ps;
    struct uv_meter view;
    if (meter_get(ctx, NULL, meter, &m, 0) != UVS_OK ||
        typeindex_match(ctx, m.type_code, &d, &e) != UVS_OK ||
        meter_view(ctx, &m, &ps, &view) != UVS_OK) {
        fprintf(stderr, "bench: %s\n", ctx->err.message);
        return;
    }
    /* the bare round trip: univend -> host process -> univend */
    const int rt = 20000;
    double *lat = calloc(rt, sizeof *lat);
    for (int i = 0; i < rt; i++) {
        double a = bench_now();
        (void)drvproxy_strerror(d, UV_E_FAILED);
        lat[i] = bench_now() - a;
    }
    qsort(lat, rt, sizeof *lat, cmp);
    double rt50 = lat[rt / 2] * 1e6, rt99 = lat[(rt * 99) / 100] * 1e6;
    free(lat);
    double proxied = decodes_per_s(d, &view, token, 5000);

    /* the same driver file loaded and opened in this process */
    struct uv_loaded here;
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", ctx->cfg.driver_dir, d->file);
    if (loader_load(path, d->file, &here, &ctx->err) != UVS_OK ||
        here.desc->open(&ctx->svc, ctx, NULL, 0, &here.dctx) != UV_OK) {
        fprintf(stderr, "bench: in-process load: %s\n", ctx->err.message);
        return;
    }
    double inproc = decodes_per_s(&here, &view, token, 5000);
    double sale_proxied, sale_here;
    sale_p50(ctx, meter, d, &here, 200, &sale_proxied, &sale_here);
    loader_unload(&here);

    printf("\ndriver in its own host process (every call a round trip over a socketpair)\n");
    printf("%-34s %11.1f us   p99 %.1f us\n", "host round trip p50 (no work)", rt50, rt99);
    printf("%-34s %14.0f   %.0f with the driver in-process (%.0f%%)\n",
           "token decodes/s via host process", proxied, inproc, 100 * proxied / inproc);
    printf("%-34s %14.3f ms   %.3f ms with the driver in-process\n",
           "sale latency p50 via host process", sale_proxied, sale_here);
}
