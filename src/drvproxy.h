/*
 * drvproxy.h — univend's side of a driver host process.
 *
 * drvproxy_start() forks a driver host (drvhost.h) for a registered driver
 * file and fills a struct uv_loaded whose desc is a proxy descriptor: its
 * slots (verify, read_medium, issue_credit, issue_mgmt, decode_token,
 * last_error, close) send the call to the child and decode the answer, so
 * call sites keep calling d->desc->verify(d->dctx, ...). univend itself never
 * dlopen()s a driver.
 *
 * Every call has the driver time limit (typeindex_time_limit_ms()). A child
 * that does not answer in time, dies, or sends anything but a well-formed
 * answer to the call it was given is killed; the call returns a host code
 * (below zero, never a driver's) that drvproxy_strerror() explains, and the
 * next call starts a fresh child.
 */
#ifndef UV_DRVPROXY_H
#define UV_DRVPROXY_H

#include "univend.h"

/* The call got no answer: the child was stopped (see drvproxy_strerror). */
#define DRVPROXY_E_STOPPED (-1000)

/* Start the host of driver file `file` (path in the driver directory),
   expecting its bytes to hash to sha256. Fills *l (info, desc, dctx). */
uv_status drvproxy_start(struct uv_ctx *ctx, const char *path, const char *file,
                         const uint8_t sha256[32], struct uv_loaded *l);
/* Text for a return code of l's driver: the driver's own words (asked of
   the child), or why the child was stopped. Valid until the next call. */
const char *drvproxy_strerror(struct uv_loaded *l, int rc);
/* Process id of l's host process, 0 when none runs (tests). */
long drvproxy_pid(const struct uv_loaded *l);

#endif
