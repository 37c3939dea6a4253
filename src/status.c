/* status.c — status names and the error slot. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *uv_status_name(uv_status st)
{
    switch (st) {
    case UVS_OK: return "ok";
    case UVS_FAILED: return "failed";
    case UVS_USAGE: return "usage";
    case UVS_INPUT: return "bad input";
    case UVS_NOTFOUND: return "not found";
    case UVS_EXISTS: return "already exists";
    case UVS_REFUSED: return "refused";
    case UVS_DRIVER: return "driver error";
    case UVS_STORE: return "storage error";
    case UVS_KEY: return "key store error";
    case UVS_IO: return "i/o error";
    case UVS_NOMEM: return "out of memory";
    }
    return "unknown status";
}

uv_status uv_fail(struct uv_error *e, uv_status st, const char *fmt, ...)
{
    va_list ap;
    e->status = st;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return st;
}

void uv_error_clear(struct uv_error *e)
{
    e->status = UVS_OK;
    e->message[0] = '\0';
}
