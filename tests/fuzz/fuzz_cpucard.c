/* fuzz_cpucard.c — the CPU card driver's handling of what cards and SAMs
 * answer. The first input byte picks the run:
 *   bits 0-1  alg (3des, aes, sm4)     bit 2  keys = sam
 *   bit 3     answers: 0 scripted from the input (any bytes, any status,
 *             reader errors), 1 the simulator's real card and SAM with the
 *             input's changes to their answers (so the run gets past the
 *             MACs and the changes land deep in the flow)
 *   bit 4     the next 33 bytes are the meter's stored state
 * Then read_medium, verify, issue_credit and a refund run on one context.
 * The rest of the input also goes through the three record parsers, which
 * must give back the same bytes when they accept them.
 *
 * Scripted answers: 2 bytes length (FFFF: reader error, FFFE: card removed),
 * then that many bytes. Changes to real answers: 4 bytes each, APDU number,
 * position, xor value, and a cut flag (bit 7: cut the answer to `position`
 * bytes instead). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gcrypt.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/cpucard/cpu_layout.h"
#include "../../drivers/univend_driver.h"
#include "../cardsim/card.h"

#define METER "04123456789"
#define CARD_MASTER "000102030405060708090A0B0C0D0E0F"
#define METER_MASTER "F0E1D2C3B4A5968778695A4B3C2D1E0F"

struct fuzz_host {
    struct uv_host_services svc;
    int emulate;
    const uint8_t *in; /* scripted answers, or the changes */
    size_t n;
    unsigned apdu_no;
    struct sim_card card[2];
    int powered[2];
};

/* Personalised once: a card per alg and a SAM holding both masters for each. */
static struct sim_image *templates; /* [alg-1] cards, [3 + alg-1] SAMs */
static char dir[4096], work[2][4200];

static void cleanup(void)
{
    char path[4300];
    static const char *const files[] = {"card-3des.img", "card-aes.img", "card-sm4.img",
                                        "sam-3des.img",  "sam-aes.img",  "sam-sm4.img",
                                        "work-card.img", "work-sam.img"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
}

static void f_log(void *h, int l, const char *m)
{
    (void)h, (void)l, (void)m;
}
static int64_t f_now(void *h)
{
    (void)h;
    return 1750000000;
}
static int f_random(void *h, void *buf, size_t len)
{
    (void)h;
    memset(buf, 0x42, len);
    return UV_OK;
}
static void f_wipe(void *b, size_t n)
{
    explicit_bzero(b, n);
}
static int f_key_get(void *h, const char *ref, void *buf, size_t cap, size_t *len)
{
    (void)h;
    const char *hex = strcmp(ref, "cpucard:card") == 0    ? CARD_MASTER
                      : strcmp(ref, "cpucard:meter") == 0 ? METER_MASTER
                                                          : NULL;
    if (hex == NULL)
        return UV_E_KEY_MISSING;
    *len = 16;
    if (buf == NULL)
        return UV_OK;
    if (cap < 16)
        return UV_E_BUFFER_TOO_SMALL;
    for (int i = 0; i < 16; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        ((uint8_t *)buf)[i] = (uint8_t)v;
    }
    return UV_OK;
}
static int f_connect(void *host, uint32_t slot)
{
    struct fuzz_host *h = host;
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    if (h->emulate && !h->powered[slot]) {
        if (h->card[slot].ops->reset(&h->card[slot]) != 0)
            return UV_E_MEDIUM_IO;
        h->powered[slot] = 1;
    }
    return UV_OK;
}
static int f_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    (void)host, (void)slot;
    if (cap < CPU_ATR_LEN)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(atr, cpu_atr, CPU_ATR_LEN);
    *len = CPU_ATR_LEN;
    return UV_OK;
}
static int f_disconnect(void *host, uint32_t slot, int reset)
{
    (void)host, (void)slot, (void)reset;
    return UV_OK;
}

static int scripted(struct fuzz_host *h, uint8_t *resp, size_t cap, size_t *rlen)
{
    if (h->n < 2)
        return UV_E_MEDIUM_ABSENT;
    unsigned len = (unsigned)h->in[0] << 8 | h->in[1];
    h->in += 2, h->n -= 2;
    if (len == 0xFFFF)
        return UV_E_MEDIUM_IO;
    if (len == 0xFFFE)
        return UV_E_MEDIUM_ABSENT;
    len %= UV_RESPONSE_MAX + 1;
    if (len > h->n)
        len = (unsigned)h->n;
    if (len > cap)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(resp, h->in, len);
    h->in += len, h->n -= len;
    *rlen = len;
    return UV_OK;
}

static int f_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t len, uint8_t *resp,
                      size_t cap, size_t *rlen)
{
    struct fuzz_host *h = host;
    uint8_t r[SIM_RESP_MAX];
    if (slot > 1 || len > UV_APDU_MAX)
        __builtin_trap(); /* the driver must never send these */
    unsigned no = h->apdu_no++;
    if (!h->emulate)
        return scripted(h, resp, cap, rlen);
    if (!h->powered[slot])
        return UV_E_MEDIUM_IO;
    size_t n = h->card[slot].ops->apdu(&h->card[slot], cmd, len, r);
    for (size_t i = 0; i + 4 <= h->n; i += 4) {
        const uint8_t *m = h->in + i;
        if (m[0] != (no & 0xFF))
            continue;
        if (m[3] & 0x80)
            n = m[1] % (n + 1);
        else if (n)
            r[m[1] % n] ^= m[2];
    }
    if (n > cap)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(resp, r, n);
    *rlen = n;
    return UV_OK;
}

static void personalise(const struct sim_card_ops *ops, const char *path, int argc, char **argv,
                        struct sim_image *out)
{
    remove(path);
    if (ops->personalise(path, argc, argv, stderr) != 0 || image_load(out, path, 0) != 0)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    /* the card saves itself with fsync: on tmpfs that costs nothing */
    const char *base = getenv("TMPDIR")                 ? getenv("TMPDIR")
                       : access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                       : "/tmp";
    snprintf(dir, sizeof dir, "%s/fuzz-cpucard-XXXXXX", base);
    if (mkdtemp(dir) == NULL)
        abort();
    atexit(cleanup);
    templates = calloc(6, sizeof *templates);
    if (templates == NULL)
        abort();
    static const char *const algs[] = {"3des", "aes", "sm4"};
    for (int a = 0; a < 3; a++) {
        char path[4200], alg[16], s1[80], s2[80];
        snprintf(alg, sizeof alg, "alg=%s", algs[a]);
        char *card[] = {"serial=0000A1B2C3D4E5F6", "meter=" METER, alg, "master=" CARD_MASTER};
        snprintf(path, sizeof path, "%s/card-%s.img", dir, algs[a]);
        personalise(&sim_card_cpu, path, 4, card, &templates[a]);
        snprintf(s1, sizeof s1, "slot1=%s:" CARD_MASTER, algs[a]);
        snprintf(s2, sizeof s2, "slot2=%s:" METER_MASTER, algs[a]);
        char *sam[] = {s1, s2};
        snprintf(path, sizeof path, "%s/sam-%s.img", dir, algs[a]);
        personalise(&sim_card_sam, path, 2, sam, &templates[3 + a]);
    }
    snprintf(work[0], sizeof work[0], "%s/work-card.img", dir);
    snprintf(work[1], sizeof work[1], "%s/work-sam.img", dir);
    return 0;
}

/* The parsers accept only what they give back byte for byte. */
static void parsers(const uint8_t *data, size_t size)
{
    uint8_t back[CPU_ID_LEN];
    struct cpu_id id;
    struct cpu_purchase p;
    struct cpu_return r;
    if (cpu_id_parse(data, size, &id) == CPU_PARSE_OK) {
        cpu_id_encode(&id, back);
        if (memcmp(back, data, CPU_ID_LEN) != 0 || !cpu_meter_valid(id.meter) ||
            !cpu_type_valid(id.type_code))
            __builtin_trap();
    }
    if (cpu_purchase_parse(data, size, &p) == CPU_PARSE_OK) {
        cpu_purchase_encode(&p, back);
        if (memcmp(back, data, CPU_REC_LEN) != 0)
            __builtin_trap();
    }
    if (cpu_return_parse(data, size, &r) == CPU_PARSE_OK) {
        cpu_return_encode(&r, back);
        if (memcmp(back, data, CPU_REC_LEN) != 0)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    int alg = flags % 4 == 3 ? 2 : flags % 4 + 1;
    static const char *const names[] = {"", "3des", "aes", "sm4"};
    data++, size--;
    parsers(data, size);
    uint8_t state[33];
    size_t state_len = 0;
    if ((flags & 0x10) && size >= sizeof state) {
        memcpy(state, data, sizeof state);
        state_len = sizeof state;
        data += sizeof state, size -= sizeof state;
    }
    struct fuzz_host *h = calloc(1, sizeof *h);
    if (h == NULL)
        return 0;
    h->svc = (struct uv_host_services){
        .struct_size = sizeof h->svc, .abi_major = UV_ABI_MAJOR, .abi_minor = UV_ABI_MINOR,
        .log = f_log, .now = f_now, .random = f_random, .key_get = f_key_get, .wipe = f_wipe,
        .card_connect = f_connect, .card_atr = f_atr, .card_transmit = f_transmit,
        .card_disconnect = f_disconnect};
    h->emulate = (flags & 0x08) != 0;
    h->in = data;
    h->n = size;
    if (h->emulate) {
        h->card[0].ops = &sim_card_cpu;
        h->card[0].img = templates[alg - 1];
        h->card[1].ops = &sim_card_sam;
        h->card[1].img = templates[3 + alg - 1];
        for (int s = 0; s < 2; s++)
            snprintf(h->card[s].img.path, sizeof h->card[s].img.path, "%s", work[s]);
    }
    const struct uv_driver *d = univend_driver_entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    struct uv_param cfg[2] = {{"alg", names[alg]}, {"keys", flags & 0x04 ? "sam" : "store"}};
    void *ctx = NULL;
    if (d->open(&h->svc, h, cfg, 2, &ctx) != UV_OK)
        __builtin_trap();
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    d->read_medium(ctx, &info);
    struct uv_meter m = {sizeof m, METER, "CPU-E1", NULL, 0, state, state_len};
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int rc = d->verify(ctx, &m, &info);
    if (rc == UV_OK && (strnlen(info.summary, sizeof info.summary) == sizeof info.summary ||
                        strcmp(info.meter_number, METER) != 0))
        __builtin_trap();
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 5};
    struct uv_issue_result res;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    rc = d->issue_credit(ctx, &m, &req, &res);
    if (rc == UV_OK && (res.medium_written != 1 || res.state_len != 33 || res.amount_issued != 1000))
        __builtin_trap();
    if (rc != UV_OK && (res.medium_written != 0 || res.state_len != 0))
        __builtin_trap(); /* nothing reported written on a failure */
    if (h->emulate && size == 0 && state_len == 0 && rc != UV_OK)
        __builtin_trap(); /* the real card, unchanged, takes the sale */
    struct uv_mgmt_request mr = {sizeof mr, UV_MGMT_REFUND, 0, NULL, 0};
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    if (d->verify(ctx, &m, &info) == UV_OK)
        d->issue_mgmt(ctx, &m, &mr, &res);
    if (strnlen(d->last_error(ctx), 256) == 256)
        __builtin_trap();
    d->close(ctx);
    for (int s = 0; s < 2; s++)
        if (h->emulate && h->powered[s])
            h->card[s].ops->release(&h->card[s]);
    explicit_bzero(h, sizeof *h);
    free(h);
    return 0;
}
