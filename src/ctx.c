/* ctx.c — creating and tearing down the process context. */
#include "univend.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "services.h"

#ifndef UV_DRIVER_DIR
#define UV_DRIVER_DIR "/usr/lib/univend/drivers"
#endif

const char *uv_default_driver_dir(void)
{
    return UV_DRIVER_DIR;
}

void uv_ctx_init(struct uv_ctx *ctx, const char *home, const char *actor)
{
    memset(ctx, 0, sizeof *ctx);
    snprintf(ctx->home, sizeof ctx->home, "%s", home);
    snprintf(ctx->actor, sizeof ctx->actor, "%s", actor && *actor ? actor : "unknown");
    ctx->log = stderr;
    config_defaults(&ctx->cfg, uv_default_driver_dir());
    services_init(ctx);
}

uv_status uv_ctx_open(struct uv_ctx *ctx)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/univend.conf", ctx->home);
    uv_status st = config_load(&ctx->cfg, path, &ctx->err);
    if (st != UVS_OK)
        return st;
    services_init(ctx); /* the card services, now that the readers are known */
    snprintf(path, sizeof path, "%s/db", ctx->home);
    st = store_open_sized(&ctx->store, path, 0, ctx->cfg.db_cache_mb, &ctx->err);
    if (st != UVS_OK)
        return st;
    ctx->store_open = 1;
    return clock_load(ctx);
}

void uv_ctx_close(struct uv_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_loaded; i++)
        loader_unload(&ctx->loaded[i]);
    ctx->n_loaded = 0;
    cardchan_close(&ctx->cards);
    keystore_lock(&ctx->keys);
    if (ctx->store_open)
        store_close(&ctx->store);
    ctx->store_open = 0;
}
