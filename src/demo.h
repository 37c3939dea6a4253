/* demo.h — a demonstration kiosk: keys, driver, tariffs, customers, meters. */
#ifndef UV_DEMO_H
#define UV_DEMO_H

#include "univend.h"

/* Create the demo kiosk in ctx->home on first run, then print what it has. */
uv_status demo_run(struct uv_ctx *ctx, FILE *out);

#endif
