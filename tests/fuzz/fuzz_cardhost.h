/*
 * fuzz_cardhost.h — a host for fuzzing a card driver: every card response
 * comes from the fuzz input, as records of a 2-byte big-endian length and
 * that many bytes (data and SW1 SW2); when the input runs out the card is
 * gone (UV_E_MEDIUM_ABSENT). Master keys are fixed, so a seed recorded from
 * a real session (tests/unit/cardhost.c, UV_CARDHOST_RECORD) carries valid
 * MACs and lets the fuzzer start deep in the driver.
 */
#ifndef UV_FUZZ_CARDHOST_H
#define UV_FUZZ_CARDHOST_H

#include <gcrypt.h>
#include <stdint.h>
#include <string.h>

#include "../../drivers/univend_driver.h"

struct fz_host {
    const uint8_t *in;
    size_t left;
    int connected;
};

static void fz_log(void *host, int level, const char *message)
{
    (void)host;
    (void)level;
    (void)message;
}

static int64_t fz_now(void *host)
{
    (void)host;
    return 1700000000;
}

static int fz_random(void *host, void *buf, size_t len)
{
    (void)host;
    memset(buf, 0x5A, len);
    return UV_OK;
}

static void fz_wipe(void *buf, size_t len)
{
    explicit_bzero(buf, len);
}

/* Every key reference gets a 16-byte key: the tests' masters by name. */
static int fz_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    static const uint8_t a[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                  0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};
    static const uint8_t sector[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                       0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
    static const uint8_t mac[16] = {0x0F, 0x1E, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78,
                                    0x87, 0x96, 0xA5, 0xB4, 0xC3, 0xD2, 0xE1, 0xF0};
    (void)host;
    const uint8_t *k = strcmp(ref, "rfcard:sector") == 0 ? sector
                       : strcmp(ref, "rfcard:mac") == 0  ? mac
                                                         : a;
    *len = 16;
    if (buf == NULL)
        return UV_OK;
    if (cap < 16)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(buf, k, 16);
    return UV_OK;
}

static int fz_readers(void *host, char *buf, size_t cap, size_t *len)
{
    (void)host;
    if (cap < 2)
        return UV_E_BUFFER_TOO_SMALL;
    buf[0] = buf[1] = '\0';
    *len = 2;
    return UV_OK;
}

static int fz_wait(void *host, uint32_t slot, int present, uint32_t timeout_ms)
{
    (void)host;
    (void)slot;
    (void)present;
    (void)timeout_ms;
    return UV_OK;
}

static int fz_connect(void *host, uint32_t slot)
{
    struct fz_host *h = host;
    (void)slot;
    h->connected = 1;
    return h->left ? UV_OK : UV_E_MEDIUM_ABSENT;
}

static int fz_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    (void)host;
    (void)slot;
    (void)atr;
    (void)cap;
    *len = 0;
    return UV_OK;
}

static int fz_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                       uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    struct fz_host *h = host;
    (void)slot;
    if (cmd == NULL || cmd_len < 4 || cmd_len > UV_APDU_MAX || !h->connected)
        __builtin_trap(); /* the driver must send a well-formed command */
    if (h->left < 2)
        return UV_E_MEDIUM_ABSENT;
    size_t n = (size_t)h->in[0] << 8 | h->in[1];
    h->in += 2;
    h->left -= 2;
    if (n > h->left)
        n = h->left;
    if (n > resp_cap)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(resp, h->in, n);
    *resp_len = n;
    h->in += n;
    h->left -= n;
    return UV_OK;
}

static int fz_disconnect(void *host, uint32_t slot, int reset)
{
    struct fz_host *h = host;
    (void)slot;
    (void)reset;
    h->connected = 0;
    return UV_OK;
}

static const struct uv_host_services fz_svc = {
    .struct_size = sizeof(struct uv_host_services),
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .log = fz_log,
    .now = fz_now,
    .random = fz_random,
    .key_get = fz_key_get,
    .wipe = fz_wipe,
    .card_readers = fz_readers,
    .card_wait = fz_wait,
    .card_connect = fz_connect,
    .card_atr = fz_atr,
    .card_transmit = fz_transmit,
    .card_disconnect = fz_disconnect,
};

/* A whole sale against the responses in the input: read the card, verify
   it for the meter it names, write a credit. The outputs must be sane. */
static void fz_sale(const struct uv_driver *d, const char *type, const uint8_t *data, size_t size)
{
    struct fz_host h = {data, size, 0};
    void *ctx = NULL;
    struct uv_medium_info info;
    struct uv_issue_result r;
    static const uint8_t state[] = {1, 4, 0xA1, 0xB2, 0xC3, 0xD4, 0, 0, 0, 1};
    if (d->open(&fz_svc, &h, NULL, 0, &ctx) != UV_OK)
        __builtin_trap();
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int rc = d->read_medium(ctx, &info), read = rc == UV_OK;
    if (memchr(info.meter_number, 0, sizeof info.meter_number) == NULL ||
        memchr(info.summary, 0, sizeof info.summary) == NULL ||
        memchr(info.card_serial, 0, sizeof info.card_serial) == NULL)
        __builtin_trap();
    char number[sizeof info.meter_number];
    memcpy(number, read ? info.meter_number : "M1", sizeof "M1");
    if (read)
        memcpy(number, info.meter_number, sizeof number);
    struct uv_meter m = {sizeof m, number, type, NULL, 0, data[0] & 1 ? state : NULL,
                         data[0] & 1 ? sizeof state : 0};
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    rc = d->verify(ctx, &m, &info);
    if (read && rc == UV_OK &&
        (!(info.flags & UV_INFO_PENDING) || info.card_serial[0] == '\0' ||
         strcmp(info.meter_number, m.number) != 0))
        __builtin_trap(); /* a verified card says what it carries, and whose it is */
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 9};
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    rc = d->issue_credit(ctx, &m, &req, &r);
    if ((rc == UV_OK) != (r.medium_written == 1) || r.state_len > sizeof r.state ||
        (rc == UV_OK && r.amount_issued != 1000))
        __builtin_trap();
    if (strlen(d->last_error(ctx)) >= 256)
        __builtin_trap();
    d->close(ctx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return 0;
}

#endif
