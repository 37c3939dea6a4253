/*
 * univend.h — the one context of a running univend process.
 *
 * Everything mutable lives here: the configuration, the open store, the
 * unlocked key store, the drivers loaded so far, and the error slot. No other
 * file keeps global mutable state. The CLI and the ncurses kiosk each create
 * one context and pass it to every core call.
 */
#ifndef UV_UNIVEND_H
#define UV_UNIVEND_H

#include <stdint.h>
#include <stdio.h>

#include "../db/store.h"
#include "../drivers/univend_driver.h"
#include "cardchan.h"
#include "config.h"
#include "keystore.h"
#include "loader.h"
#include "status.h"

#define UV_MAX_LOADED 32

struct uv_drvhost;

struct uv_ctx {
    char home[4096];             /* kiosk directory: univend.conf, db/     */
    struct uv_config cfg;
    struct uv_store store;
    int store_open;
    struct uv_keystore keys;     /* unlocked lazily, on first key use      */
    char actor[32];              /* who is acting: clerk id or OS user     */
    uint32_t role;               /* logged-in clerk's role; 0 for the CLI  */
    struct uv_error err;
    FILE *log;                   /* driver and diagnostic messages         */
    int verbose;
    struct uv_host_services svc; /* handed to drivers                      */
    struct uv_loaded loaded[UV_MAX_LOADED]; /* each served by its own host process */
    size_t n_loaded;
    int64_t clock_offset;        /* supervisor's correction of the host's
                                    clock (clock.h), read from the store   */
    struct uv_cardchan cards;    /* the card readers (PC/SC), opened lazily */
    struct uv_drvhost *drvhost;  /* set only inside a driver host process:
                                    its channel back to univend (drvhost.c) */
};

/* Initialise a context for home (nothing opened yet). */
void uv_ctx_init(struct uv_ctx *ctx, const char *home, const char *actor);
/* Read univend.conf (binding the card slots to their readers) and open the
   store (running recovery if needed). */
uv_status uv_ctx_open(struct uv_ctx *ctx);
/* Close drivers and card readers, wipe keys, close the store. */
void uv_ctx_close(struct uv_ctx *ctx);

/* Directory the build put its drivers in (compiled in). */
const char *uv_default_driver_dir(void);

#endif
