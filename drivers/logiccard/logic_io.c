/* logic_io.c — storage-card commands to a logic-encryption card. */
#include "logic_io.h"

#include <string.h>

#include "../cardlib/cardio.h"

static int send(const struct lc_io *io, const uint8_t *cmd, size_t len, uint8_t *resp,
                size_t cap, size_t *rlen, unsigned *sw, const char *doing)
{
    int rc = cio_apdu(io->svc, io->host, UV_SLOT_USER, cmd, len, resp, cap, rlen, sw);
    return rc == UV_OK ? UV_OK : cio_transport_fail(io->err, rc, doing);
}

int lcio_read(const struct lc_io *io, unsigned addr, size_t n, uint8_t *out)
{
    uint8_t cmd[5] = {0xFF, 0xB0, (uint8_t)(addr >> 8), (uint8_t)addr, (uint8_t)n};
    size_t len = 0;
    unsigned sw = 0;
    if (n == 0 || n > 256 || addr + n > LC_MEM_SIZE)
        return cio_fail(io->err, UV_E_ARG, "bad card read");
    int rc = send(io, cmd, sizeof cmd, out, n, &len, &sw, "it was being read");
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000 || len != n)
        return cio_fail(io->err, UV_E_UNSUPPORTED,
                        "the card refused a storage-card read (status %04X): it is not a "
                        "logic-encryption memory card",
                        sw);
    return UV_OK;
}

int lcio_tries(const struct lc_io *io, int *tries)
{
    static const uint8_t cmd[4] = {0xFF, 0x20, 0x00, 0x00};
    uint8_t resp[UV_RESPONSE_MAX];
    size_t len = 0;
    unsigned sw = 0;
    int rc = send(io, cmd, sizeof cmd, resp, sizeof resp, &len, &sw,
                  "its security code counter was being read");
    if (rc != UV_OK)
        return rc;
    if (sw == 0x9000)
        *tries = LCIO_PRESENTED;
    else if (sw == 0x6983)
        *tries = 0;
    else if ((sw & 0xFFF0) == 0x63C0 && (sw & 0x0F) <= 3)
        *tries = (int)(sw & 0x0F);
    else
        return cio_fail(io->err, UV_E_MEDIUM_IO,
                        "the card gave no security code counter (status %04X)", sw);
    return UV_OK;
}

int lcio_present(const struct lc_io *io, const uint8_t psc[LC_PSC_LEN], int *tries_left)
{
    uint8_t cmd[5 + LC_PSC_LEN] = {0xFF, 0x20, 0x00, 0x00, LC_PSC_LEN};
    uint8_t resp[UV_RESPONSE_MAX];
    size_t len = 0;
    unsigned sw = 0;
    memcpy(cmd + 5, psc, LC_PSC_LEN);
    int rc = send(io, cmd, sizeof cmd, resp, sizeof resp, &len, &sw,
                  "its security code was being presented");
    explicit_bzero(cmd, sizeof cmd);
    *tries_left = -1;
    if (rc != UV_OK)
        return rc;
    if (sw == 0x9000)
        return UV_OK;
    if (sw == 0x6983 || sw == 0x63C0) {
        *tries_left = 0;
        return cio_fail(io->err, UV_E_CARD_LOCKED,
                        "the card refused its security code and is now locked for good");
    }
    if ((sw & 0xFFF0) == 0x63C0) {
        *tries_left = (int)(sw & 0x0F);
        return cio_fail(io->err, UV_E_CARD_AUTH, "the card refused its security code");
    }
    return cio_fail(io->err, UV_E_MEDIUM_IO, "the card answered the security code with %04X",
                    sw);
}

int lcio_write(const struct lc_io *io, unsigned addr, const uint8_t *data, size_t n,
               int *reached)
{
    uint8_t cmd[5 + 255], back[256];
    uint8_t resp[UV_RESPONSE_MAX];
    size_t len = 0;
    unsigned sw = 0;
    *reached = 0;
    if (n == 0 || n > 255 || addr + n > LC_MEM_SIZE)
        return cio_fail(io->err, UV_E_ARG, "bad card write");
    cmd[0] = 0xFF;
    cmd[1] = 0xD6;
    cmd[2] = (uint8_t)(addr >> 8);
    cmd[3] = (uint8_t)addr;
    cmd[4] = (uint8_t)n;
    memcpy(cmd + 5, data, n);
    int rc = send(io, cmd, 5 + n, resp, sizeof resp, &len, &sw, "it was being written");
    if (rc != UV_OK)
        return rc;
    if (sw == 0x6982)
        return cio_fail(io->err, UV_E_CARD_AUTH,
                        "the card refused the write: its security code is not presented "
                        "(was the card reset or swapped?)");
    if (sw != 0x9000)
        return cio_fail(io->err, UV_E_MEDIUM_IO, "the card refused the write (status %04X)", sw);
    *reached = 1;
    if ((rc = lcio_read(io, addr, n, back)) != UV_OK)
        return rc == UV_E_UNSUPPORTED ? UV_E_MEDIUM_IO : rc;
    if (memcmp(back, data, n) != 0)
        return cio_fail(io->err, UV_E_MEDIUM_IO,
                        "the card did not keep what was written: its memory may be worn; "
                        "send it to the utility office");
    return UV_OK;
}
