/*
 * cardio.h — one APDU over the host's card channel (drivers/univend_driver.h
 * 1.2), with the status word split off and transport failures named.
 */
#ifndef UV_CARDIO_H
#define UV_CARDIO_H

#include <stddef.h>
#include <stdint.h>

#include "../univend_driver.h"

/* Does the host offer the card channel (ABI 1.2, every slot present)? */
int cio_has_channel(const struct uv_host_services *svc);

/* Send cmd to the card in slot. On UV_OK, resp holds the response data
   (without SW1 SW2), *len its length, *sw the status word. Otherwise the
   transport's code (UV_E_MEDIUM_ABSENT, UV_E_MEDIUM_IO...) or UV_E_MEDIUM_IO
   for a response shorter than a status word. */
int cio_apdu(const struct uv_host_services *svc, void *host, uint32_t slot, const uint8_t *cmd,
             size_t cmd_len, uint8_t *resp, size_t cap, size_t *len, unsigned *sw);

/* Big-endian numbers. */
uint64_t cio_get_be(const uint8_t *p, size_t n);
void cio_put_be(uint8_t *p, size_t n, uint64_t v);


/* A failure's detail for the clerk: formats into err (CIO_ERR_MAX bytes) and
   returns rc. */
#define CIO_ERR_MAX 256
int cio_fail(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The text for a transport failure of the user's card. */
int cio_transport_fail(char *err, int rc, const char *doing);

#endif
