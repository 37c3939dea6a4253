/*
 * status.h — host status codes and the error slot every host call fills.
 *
 * Every host function returns a uv_status and, on failure, writes a message
 * for the person at the kiosk into the context's error slot (uv_fail). The
 * CLI prints that message and exits with the status number, so scripts can
 * tell a refusal from a usage error from a storage fault.
 */
#ifndef UV_STATUS_H
#define UV_STATUS_H

#include <stddef.h>

typedef enum uv_status {
    UVS_OK = 0,
    UVS_FAILED = 1,    /* anything not covered below                      */
    UVS_USAGE = 2,     /* command line is wrong                           */
    UVS_INPUT = 3,     /* a value given is malformed or out of range      */
    UVS_NOTFOUND = 4,  /* no such meter, customer, tariff, receipt, key   */
    UVS_EXISTS = 5,    /* already there                                   */
    UVS_REFUSED = 6,   /* security refusal: verification, tampered driver */
    UVS_DRIVER = 7,    /* driver not loadable or failed                   */
    UVS_STORE = 8,     /* Berkeley DB error (disk full, corruption)       */
    UVS_KEY = 9,       /* key store locked, wrong passphrase, key missing */
    UVS_IO = 10,       /* file or device I/O                              */
    UVS_NOMEM = 11
} uv_status;

const char *uv_status_name(uv_status st);

/* The error slot: the last failure's status and message. */
struct uv_error {
    uv_status status;
    char message[512];
};

/* Record a failure and return st, for `return uv_fail(&ctx->err, ...)`. */
uv_status uv_fail(struct uv_error *e, uv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void uv_error_clear(struct uv_error *e);

#endif
