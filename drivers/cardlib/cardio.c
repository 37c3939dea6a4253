/* cardio.c — APDUs over the host's card channel. */
#include "cardio.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cio_has_channel(const struct uv_host_services *svc)
{
    return svc != NULL &&
           svc->struct_size >= offsetof(struct uv_host_services, card_disconnect) +
                                   sizeof svc->card_disconnect &&
           svc->card_connect != NULL && svc->card_atr != NULL && svc->card_transmit != NULL &&
           svc->card_disconnect != NULL;
}

int cio_apdu(const struct uv_host_services *svc, void *host, uint32_t slot, const uint8_t *cmd,
             size_t cmd_len, uint8_t *resp, size_t cap, size_t *len, unsigned *sw)
{
    uint8_t buf[UV_RESPONSE_MAX];
    size_t n = 0;
    *len = 0;
    *sw = 0;
    if (!cio_has_channel(svc))
        return UV_E_UNSUPPORTED;
    int rc = svc->card_transmit(host, slot, cmd, cmd_len, buf, sizeof buf, &n);
    if (rc != UV_OK)
        return rc;
    if (n < 2 || n > sizeof buf)
        return UV_E_MEDIUM_IO;
    if (n - 2 > cap)
        return UV_E_BUFFER_TOO_SMALL;
    if (n > 2)
        memcpy(resp, buf, n - 2);
    *len = n - 2;
    *sw = (unsigned)buf[n - 2] << 8 | buf[n - 1];
    return UV_OK;
}

uint64_t cio_get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

void cio_put_be(uint8_t *p, size_t n, uint64_t v)
{
    for (size_t i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

int cio_fail(char *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CIO_ERR_MAX, fmt, ap);
    va_end(ap);
    return rc;
}

int cio_transport_fail(char *err, int rc, const char *doing)
{
    switch (rc) {
    case UV_E_MEDIUM_ABSENT:
        return cio_fail(err, rc, "the card was taken out of the reader while %s", doing);
    case UV_E_UNSUPPORTED:
        return cio_fail(err, rc, "this kiosk has no card reader for customer cards (card_reader "
                                 "in univend.conf)");
    case UV_E_BUFFER_TOO_SMALL:
        return cio_fail(err, UV_E_MEDIUM_IO, "the card answered too much while %s", doing);
    default:
        return cio_fail(err, rc == UV_OK ? UV_E_MEDIUM_IO : rc,
                        "the card reader failed while %s (code %d): check the reader and "
                        "insert the card again",
                        doing, rc);
    }
}
