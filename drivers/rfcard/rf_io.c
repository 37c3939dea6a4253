/* rf_io.c — PC/SC part 3 storage-card commands to a MIFARE-Classic-style card. */
#include "rf_io.h"

#include <string.h>

#include "../cardlib/cardio.h"

static int send(const struct rf_io *io, const uint8_t *cmd, size_t len, uint8_t *resp,
                size_t cap, size_t *rlen, unsigned *sw, const char *doing)
{
    int rc = cio_apdu(io->svc, io->host, UV_SLOT_USER, cmd, len, resp, cap, rlen, sw);
    return rc == UV_OK ? UV_OK : cio_transport_fail(io->err, rc, doing);
}

int rfio_uid(const struct rf_io *io, uint8_t uid[RF_UID_MAX], size_t *len)
{
    static const uint8_t cmd[5] = {0xFF, 0xCA, 0x00, 0x00, 0x00};
    uint8_t resp[UV_RESPONSE_MAX];
    unsigned sw = 0;
    int rc = send(io, cmd, sizeof cmd, resp, sizeof resp, len, &sw, "its UID was being read");
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000 || (*len != 4 && *len != 7))
        return cio_fail(io->err, UV_E_UNSUPPORTED,
                        "the card gave no 4- or 7-byte UID (status %04X): not a MIFARE Classic "
                        "card",
                        sw);
    memcpy(uid, resp, *len);
    return UV_OK;
}

int rfio_auth(const struct rf_io *io, unsigned block, int key_b, const uint8_t key[RF_KEY_LEN])
{
    uint8_t load[5 + RF_KEY_LEN] = {0xFF, 0x82, 0x00, 0x00, RF_KEY_LEN};
    const uint8_t auth[10] = {0xFF, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, (uint8_t)block,
                              (uint8_t)(key_b ? 0x61 : 0x60), 0x00};
    uint8_t resp[UV_RESPONSE_MAX];
    size_t len = 0;
    unsigned sw = 0;
    memcpy(load + 5, key, RF_KEY_LEN);
    int rc = send(io, load, sizeof load, resp, sizeof resp, &len, &sw,
                  "a sector key was being loaded");
    explicit_bzero(load, sizeof load);
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000)
        return cio_fail(io->err, UV_E_MEDIUM_IO,
                        "the reader refused to load a sector key (status %04X)", sw);
    rc = send(io, auth, sizeof auth, resp, sizeof resp, &len, &sw,
              "a sector was being authenticated");
    if (rc != UV_OK)
        return rc;
    if (sw == 0x6300 || sw == 0x6982)
        return cio_fail(io->err, UV_E_CARD_AUTH, "sector %u refused its key %c", block / 4,
                        key_b ? 'B' : 'A');
    if (sw != 0x9000)
        return cio_fail(io->err, UV_E_MEDIUM_IO, "sector %u authentication failed (status %04X)",
                        block / 4, sw);
    return UV_OK;
}

int rfio_read(const struct rf_io *io, unsigned block, uint8_t out[RF_BLOCK])
{
    const uint8_t cmd[5] = {0xFF, 0xB0, 0x00, (uint8_t)block, RF_BLOCK};
    size_t len = 0;
    unsigned sw = 0;
    int rc = send(io, cmd, sizeof cmd, out, RF_BLOCK, &len, &sw, "it was being read");
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000 || len != RF_BLOCK)
        return cio_fail(io->err, UV_E_MEDIUM_IO, "the card refused to read block %u (status %04X)",
                        block, sw);
    return UV_OK;
}

int rfio_write(const struct rf_io *io, unsigned block, const uint8_t data[RF_BLOCK])
{
    uint8_t cmd[5 + RF_BLOCK] = {0xFF, 0xD6, 0x00, (uint8_t)block, RF_BLOCK};
    uint8_t resp[UV_RESPONSE_MAX];
    size_t len = 0;
    unsigned sw = 0;
    memcpy(cmd + 5, data, RF_BLOCK);
    int rc = send(io, cmd, sizeof cmd, resp, sizeof resp, &len, &sw, "it was being written");
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000)
        return cio_fail(io->err, UV_E_MEDIUM_IO, "the card refused to write block %u (status %04X)",
                        block, sw);
    return UV_OK;
}
