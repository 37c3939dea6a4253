/*
 * drvhost.h — the driver host: the child process that loads one driver and
 * serves its calls to univend over a socket (drvproto.h frames).
 *
 * Run right after fork(). It cuts itself off from what it inherited: every
 * descriptor but the socket (moved to 3) is closed, stdin and stdout lead to
 * /dev/null and so does stderr unless UNIVEND_DRIVER_DEBUG is set (the
 * Berkeley DB environment is private: no shared region to reach), the
 * unlocked key store is locked; it dies with its parent, may gain no
 * privileges, dumps no core and is named "uv-drv-<driver>". Then it loads
 * the driver (refusing a file whose SHA-256 is not the one expected), opens
 * it with its driver.<name>.* options, says hello and serves calls until the
 * socket closes. Keys are asked of univend call by call; log lines go to
 * univend; the card channel is univend's (its readers, its connections, so
 * a connection lasts across the calls of a sale and across drivers, and
 * univend's disconnect with reset ends it); clock, randomness and wiping
 * run in the child.
 */
#ifndef UV_DRVHOST_H
#define UV_DRVHOST_H

#include <stdint.h>
#include <sys/types.h>

#include "univend.h"

__attribute__((noreturn)) void drvhost_run(struct uv_ctx *ctx, int sock, pid_t parent,
                                           const char *path, const char *file,
                                           const uint8_t sha256[32]);

#endif
