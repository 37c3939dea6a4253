/* cpu_apdu.c — the CPU card driver's use of the host's card channel. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu_driver.h"

int cpu_has_channel(const struct uv_host_services *svc)
{
    return svc->struct_size >= offsetof(struct uv_host_services, card_disconnect) +
                                   sizeof svc->card_disconnect &&
           svc->card_connect && svc->card_transmit && svc->card_atr;
}

void cpu_hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < n && o + 3 <= cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02X", b[i]);
    out[o] = '\0';
}

int cpu_xfer(struct cpu_ctx *c, uint32_t slot, const uint8_t *cmd, size_t len, uint8_t *data,
             size_t cap, size_t *n, unsigned *sw)
{
    uint8_t resp[UV_RESPONSE_MAX];
    size_t rl = 0;
    const char *who = slot == UV_SLOT_SAM ? "the SAM" : "the card";
    *n = 0;
    *sw = 0;
    int rc = c->svc->card_transmit(c->host, slot, cmd, len, resp, sizeof resp, &rl);
    if (rc == UV_E_MEDIUM_ABSENT)
        return cpu_fail(c, rc, "%s was removed (command %02X %02X)", who, cmd[0], cmd[1]);
    if (rc != UV_OK)
        return cpu_fail(c, rc == UV_E_MEDIUM_IO ? rc : UV_E_MEDIUM_IO,
                        "reader error talking to %s (command %02X %02X, code %d)", who, cmd[0],
                        cmd[1], rc);
    if (rl < 2 || rl > sizeof resp)
        return cpu_fail(c, UV_E_MEDIUM_IO, "%s gave a malformed answer (%zu bytes)", who, rl);
    *sw = (unsigned)resp[rl - 2] << 8 | resp[rl - 1];
    if (rl - 2 > cap)
        return cpu_fail(c, UV_E_MEDIUM_IO, "%s answered %zu bytes where %zu were expected", who,
                        rl - 2, cap);
    if (rl > 2)
        memcpy(data, resp, rl - 2);
    *n = rl - 2;
    return UV_OK;
}

int cpu_open_app(struct cpu_ctx *c)
{
    uint8_t cmd[5 + CPU_AID_LEN];
    size_t n;
    unsigned sw;
    int rc = c->svc->card_connect(c->host, UV_SLOT_USER);
    if (rc == UV_E_MEDIUM_ABSENT)
        return cpu_fail(c, rc, "no card in the reader");
    if (rc != UV_OK)
        return cpu_fail(c, rc == UV_E_UNSUPPORTED ? rc : UV_E_MEDIUM_IO,
                        "cannot connect to the card (code %d)", rc);
    cmd[0] = CPU_CLA;
    cmd[1] = CPU_INS_SELECT;
    cmd[2] = 0x04;
    cmd[3] = 0x0C;
    cmd[4] = CPU_AID_LEN;
    memcpy(cmd + 5, cpu_aid, CPU_AID_LEN);
    if ((rc = cpu_xfer(c, UV_SLOT_USER, cmd, sizeof cmd, NULL, 0, &n, &sw)) != UV_OK)
        return rc;
    if (sw == 0x6A82 || sw == 0x6D00 || sw == 0x6E00 || sw == 0x6A86)
        return cpu_fail(c, UV_E_UNSUPPORTED, "not a univend CPU card: no such application");
    if (sw != 0x9000)
        return cpu_fail(c, UV_E_MEDIUM_IO, "the card refused to select its application (%04X)",
                        sw);
    return UV_OK;
}

int cpu_read_ef(struct cpu_ctx *c, unsigned sfi, uint8_t *buf, size_t len)
{
    uint8_t cmd[5] = {CPU_CLA, CPU_INS_READ_BINARY, (uint8_t)(0x80 | sfi), 0x00, (uint8_t)len};
    size_t n;
    unsigned sw;
    int rc = cpu_xfer(c, UV_SLOT_USER, cmd, sizeof cmd, buf, len, &n, &sw);
    if (rc != UV_OK)
        return rc;
    if (sw == 0x6A82)
        return cpu_fail(c, UV_E_CARD_UNKNOWN, "the card has no file %u: not personalised", sfi);
    if (sw != 0x9000 || n != len)
        return cpu_fail(c, UV_E_MEDIUM_IO, "reading file %u: %zu bytes, status %04X", sfi, n, sw);
    return UV_OK;
}

int cpu_get_challenge(struct cpu_ctx *c, uint8_t rnd[CPU_RND_LEN])
{
    static const uint8_t cmd[5] = {CPU_CLA, CPU_INS_GET_CHALLENGE, 0, 0, CPU_RND_LEN};
    size_t n;
    unsigned sw;
    int rc = cpu_xfer(c, UV_SLOT_USER, cmd, sizeof cmd, rnd, CPU_RND_LEN, &n, &sw);
    if (rc != UV_OK)
        return rc;
    if (sw != 0x9000 || n != CPU_RND_LEN)
        return cpu_fail(c, UV_E_MEDIUM_IO, "GET CHALLENGE: %zu bytes, status %04X", n, sw);
    return UV_OK;
}
