/*
 * fuzz_memcard.c — the memory card driver against any answers a card or
 * reader can give: read_medium, verify and issue_credit run through the
 * driver's own entry with host services whose card_transmit hands out the
 * fuzzer's bytes as responses, and the layout parsers take the raw input.
 *
 * Input: byte 0 selects the algorithm (bits 0-1), a shadowed counter in the
 * meter's state (bit 2), MAC repair (bit 3: answers shaped like the card's
 * areas get correct MACs under the card key, so the fuzzer gets past
 * authentication into the write path), keys = sam (bit 4: the master key is
 * in SAM slot 1, the simulator's SAM of tests/cardsim/card_sam.c, which
 * computes every MAC) and, with it, a SAM whose answers come from the input
 * too (bit 5). Then the responses, each a 2-byte big-endian length and that
 * many bytes; when they run out the card (or SAM) is "pulled"
 * (UV_E_MEDIUM_ABSENT). Whatever happens, an UV_OK from issue_credit must be
 * a well-formed, confirmed card write.
 */
#include <gcrypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/memcard/memcard_card.h"
#include "../../drivers/univend_driver.h"
#include "../cardsim/card.h"

struct host {
    const uint8_t *p;
    size_t left;
    int alg, fix_macs;
    int sam;                  /* 0 none, 1 the simulator's SAM, 2 scripted answers */
    struct sim_card *sam_card;
    uint8_t key[CARDKEY_LEN]; /* the card key of the serial last seen */
    uint8_t written[MC_CREDIT_LEN];
    int have_written;
};

static const uint8_t master[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
#define MASTER_HEX "000102030405060708090A0B0C0D0E0F"

/* The SAMs, personalised once: slot 1 holds master, for aes, 3des, sm4
   (cardkey's algorithm numbers 1..3 index it). A SAM never writes its image. */
static struct sim_card sams[4];

static void h_log(void *h, int l, const char *m)
{
    (void)h, (void)l, (void)m;
}
static int64_t h_now(void *h)
{
    (void)h;
    return 1700000000;
}
static int h_random(void *h, void *b, size_t n)
{
    (void)h;
    memset(b, 0x42, n);
    return UV_OK;
}
static int h_key_get(void *h, const char *ref, void *buf, size_t cap, size_t *len)
{
    (void)h;
    if (strcmp(ref, "memcard:master") != 0)
        return UV_E_KEY_MISSING;
    *len = sizeof master;
    if (buf == NULL)
        return UV_OK;
    if (cap < sizeof master)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(buf, master, sizeof master);
    return UV_OK;
}
static void h_wipe(void *b, size_t n)
{
    memset(b, 0, n);
}
static int h_readers(void *h, char *b, size_t cap, size_t *len)
{
    (void)h;
    if (cap < 2)
        return UV_E_BUFFER_TOO_SMALL;
    b[0] = b[1] = 0;
    *len = 2;
    return UV_OK;
}
static int h_wait(void *h, uint32_t s, int p, uint32_t t)
{
    (void)h, (void)s, (void)p, (void)t;
    return UV_OK;
}
static int h_connect(void *hp, uint32_t s)
{
    const struct host *h = hp;
    if (s == UV_SLOT_SAM && h->sam)
        return UV_OK;
    return s == UV_SLOT_USER ? UV_OK : UV_E_UNSUPPORTED;
}
static int h_atr(void *h, uint32_t s, uint8_t *a, size_t cap, size_t *len)
{
    (void)h, (void)s, (void)a, (void)cap;
    *len = 0;
    return UV_OK;
}
static int h_disconnect(void *h, uint32_t s, int r)
{
    (void)h, (void)s, (void)r;
    return UV_OK;
}

static void put_mac(struct host *h, uint8_t *area, size_t (*in)(const uint8_t *, uint8_t *),
                    size_t at)
{
    uint8_t buf[MC_MAC_INPUT_MAX], mac[CARDKEY_MAC_MAX];
    if (cardkey_cmac(h->alg, h->key, buf, in(area, buf), mac) == 0)
        memcpy(area + at, mac, MC_MAC_LEN);
}

/* Give answers shaped like the card's areas MACs that verify. */
static void repair(struct host *h, uint8_t *r, size_t n)
{
    if (n == MC_USED + 2 || n == MC_IDENT_LEN + 2) {
        if (cardkey_derive(h->alg, master, r + 6, MC_SERIAL_LEN, h->key) != 0)
            return;
        put_mac(h, r, mc_ident_mac_input, MC_IDENT_MAC_AT);
        if (n == MC_USED + 2) {
            static const uint8_t none[MC_METER_LEN];
            put_mac(h, r + MC_CREDIT, mc_credit_mac_input, MC_RECORD_MAC_AT);
            if (memcmp(r + MC_METER, none, MC_METER_LEN) != 0) /* all zero: no report */
                put_mac(h, r + MC_METER, mc_meter_mac_input, MC_RECORD_MAC_AT);
        }
    } else if (n == MC_CREDIT_LEN + 2) {
        put_mac(h, r, mc_credit_mac_input, MC_RECORD_MAC_AT);
    }
}

static int h_transmit(void *hp, uint32_t slot, const uint8_t *cmd, size_t cn, uint8_t *resp,
                      size_t cap, size_t *rn)
{
    struct host *h = hp;
    if ((slot != UV_SLOT_USER && !(slot == UV_SLOT_SAM && h->sam)) || cmd == NULL || cn < 4 ||
        cn > UV_APDU_MAX || cap < UV_RESPONSE_MAX)
        __builtin_trap(); /* the driver must send well-formed commands */
    if (slot == UV_SLOT_SAM && h->sam == 1) {
        if (cmd[0] != 0x80 || cmd[1] != 0x10 || cmd[2] != 1)
            __builtin_trap(); /* only DERIVE-MAC, with slot 1 */
        uint8_t r[SIM_RESP_MAX];
        size_t n = h->sam_card->ops->apdu(h->sam_card, cmd, cn, r);
        if (n > cap)
            __builtin_trap();
        memcpy(resp, r, n);
        *rn = n;
        return UV_OK;
    }
    if (cn == 5 + MC_CREDIT_LEN && cmd[1] == 0xD6) {
        memcpy(h->written, cmd + 5, MC_CREDIT_LEN);
        h->have_written = 1;
    }
    if (h->left < 2)
        return UV_E_MEDIUM_ABSENT;
    size_t n = (size_t)h->p[0] << 8 | h->p[1];
    h->p += 2;
    h->left -= 2;
    if (n > UV_RESPONSE_MAX || n > h->left) {
        h->left = 0;
        return UV_E_MEDIUM_IO;
    }
    memcpy(resp, h->p, n);
    h->p += n;
    h->left -= n;
    *rn = n;
    if (h->fix_macs && n >= 2 && resp[n - 2] == 0x90 && resp[n - 1] == 0)
        repair(h, resp, n);
    return UV_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    char dir[] = "/tmp/fuzz-memcard-XXXXXX", path[64], slot[64];
    if (mkdtemp(dir) == NULL)
        abort();
    static const char *const algs[] = {"3des", "aes", "sm4"};
    for (int a = 0; a < 3; a++) {
        int n = cardkey_alg_parse(algs[a]);
        snprintf(path, sizeof path, "%s/sam-%s.img", dir, algs[a]);
        snprintf(slot, sizeof slot, "slot1=%s:" MASTER_HEX ":mac", algs[a]);
        char *argv[] = {slot};
        sams[n].ops = &sim_card_sam;
        if (n < 1 || n > 3 || sim_card_sam.personalise(path, 1, argv, stderr) != 0 ||
            image_load(&sams[n].img, path, 0) != 0 || sim_card_sam.reset(&sams[n]) != 0)
            abort();
        remove(path);
    }
    rmdir(dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the parsers alone, on the raw input */
    struct mc_ident id;
    struct mc_credit cr;
    struct mc_meter mr;
    struct mc_state st;
    const uint8_t *d;
    mc_ident_parse(data, size, &id);
    mc_credit_parse(data, size, &cr);
    mc_meter_parse(data, size, &mr);
    mc_state_parse(data, size, &st);
    mc_read_answer(data, size, size >= 2 ? size - 2 : 0, &d);
    if (size < 1)
        return 0;

    static const char *const algs[] = {"aes", "3des", "sm4", "aes"};
    struct host h = {.p = data + 1, .left = size - 1, .alg = 0, .fix_macs = (data[0] & 8) != 0};
    h.alg = cardkey_alg_parse(algs[data[0] & 3]);
    h.sam = data[0] & 0x10 ? (data[0] & 0x20 ? 2 : 1) : 0;
    h.sam_card = &sams[h.alg];
    uint8_t state[MC_STATE_LEN] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    if ((data[0] & 4) && h.left >= 2 + 13) /* the shadow names the first answer's serial */
        memcpy(state + 1, h.p + 2 + 6, MC_SERIAL_LEN);
    struct uv_host_services svc = {
        .struct_size = sizeof svc, .abi_major = UV_ABI_MAJOR, .abi_minor = UV_ABI_MINOR,
        .log = h_log, .now = h_now, .random = h_random, .key_get = h_key_get, .wipe = h_wipe,
        .card_readers = h_readers, .card_wait = h_wait, .card_connect = h_connect,
        .card_atr = h_atr, .card_transmit = h_transmit, .card_disconnect = h_disconnect};
    const struct uv_driver *drv = univend_driver_entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    struct uv_param cfg[] = {{"alg", algs[data[0] & 3]}, {"keys", h.sam ? "sam" : "store"}};
    void *ctx = NULL;
    if (drv->open(&svc, &h, cfg, 2, &ctx) != UV_OK)
        __builtin_trap();
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (drv->read_medium(ctx, &info) == UV_OK) {
        if (!memchr(info.meter_number, 0, sizeof info.meter_number) ||
            !memchr(info.type_code, 0, sizeof info.type_code) ||
            !memchr(info.card_serial, 0, sizeof info.card_serial))
            __builtin_trap();
        struct uv_meter m = {.struct_size = sizeof m, .number = info.meter_number,
                             .type_code = info.type_code, .state = state,
                             .state_len = (data[0] & 4) ? sizeof state : 0};
        char number[sizeof info.meter_number];
        memcpy(number, info.meter_number, sizeof number);
        m.number = number;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        if (drv->verify(ctx, &m, &info) == UV_OK) {
            struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 28900, 7};
            struct uv_issue_result res;
            memset(&res, 0, sizeof res);
            res.struct_size = sizeof res;
            h.have_written = 0;
            if (drv->issue_credit(ctx, &m, &req, &res) == UV_OK &&
                (!res.medium_written || res.n_tokens || res.amount_issued != 28900 ||
                 res.state_len != MC_STATE_LEN || !h.have_written ||
                 !memchr(res.token_id, 0, sizeof res.token_id)))
                __builtin_trap();
        }
    }
    drv->close(ctx);
    return 0;
}
