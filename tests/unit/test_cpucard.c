/* test_cpucard.c — the CPU card driver (build/drivers/cpucard.so, loaded as
 * the kiosk loads it) against the card simulator's CPU card and SAM
 * (tests/cardsim/card_cpu.c, card_sam.c): the host services table of this
 * test hands every APDU straight to the emulation, which keeps the card in
 * an image file as it does behind vpcd. */
#include <dlfcn.h>
#include <gcrypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/univend_driver.h"
#include "../cardsim/card.h"
#include "testutil.h"

#define CARD_MASTER "000102030405060708090A0B0C0D0E0F"
#define METER_MASTER "F0E1D2C3B4A5968778695A4B3C2D1E0F"
#define OTHER_MASTER "2B7E151628AED2A6ABF7158809CF4F3C"
#define SERIAL "0000A1B2C3D4E5F6"
#define METER "04123456789"

static const char *const algs[] = {"3des", "aes", "sm4"};

enum fault {
    FAULT_NONE,
    FAULT_PULL_BEFORE_WRITE, /* the card leaves as the write goes out: not written */
    FAULT_PULL_AFTER_WRITE,  /* written, but the answer is lost                     */
    FAULT_PULL_AT_READBACK,  /* written and answered, pulled before the read back   */
    FAULT_WRITE_LOST         /* 9000 for the write, but the card never got it       */
};

struct tkey {
    char ref[32];
    uint8_t key[32];
    size_t len;
};

struct thost {
    char dir[4096];
    struct sim_card card[2]; /* UV_SLOT_USER, UV_SLOT_SAM */
    int present[2], powered[2];
    enum fault fault;
    unsigned writes; /* protected writes seen */
    struct tkey keys[4];
    int n_keys;
    struct uv_host_services svc;
    void *so;
    const struct uv_driver *drv;
    void *dctx;
};

/* ---- the host services, on the emulation ------------------------------- */

static void h_log(void *host, int level, const char *m)
{
    (void)host;
    (void)level;
    (void)m;
}
static int64_t h_now(void *host)
{
    (void)host;
    return 1750000000;
}
static int h_random(void *host, void *buf, size_t len)
{
    (void)host;
    gcry_create_nonce(buf, len);
    return UV_OK;
}
static void h_wipe(void *buf, size_t len)
{
    explicit_bzero(buf, len);
}
static int h_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    struct thost *th = host;
    for (int i = 0; i < th->n_keys; i++) {
        if (strcmp(th->keys[i].ref, ref) != 0)
            continue;
        *len = th->keys[i].len;
        if (buf == NULL)
            return UV_OK;
        if (cap < th->keys[i].len)
            return UV_E_BUFFER_TOO_SMALL;
        memcpy(buf, th->keys[i].key, th->keys[i].len);
        return UV_OK;
    }
    return UV_E_KEY_MISSING;
}
static int h_readers(void *host, char *buf, size_t cap, size_t *len)
{
    (void)host;
    static const char names[] = "Test PCD 00\0Test PCD 01\0";
    if (cap < sizeof names)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(buf, names, sizeof names);
    *len = sizeof names;
    return UV_OK;
}
static int h_wait(void *host, uint32_t slot, int present, uint32_t ms)
{
    struct thost *th = host;
    (void)ms;
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    return th->present[slot] == present ? UV_OK : UV_E_RETRY;
}
static int h_connect(void *host, uint32_t slot)
{
    struct thost *th = host;
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    if (!th->present[slot])
        return UV_E_MEDIUM_ABSENT;
    if (!th->powered[slot]) {
        if (th->card[slot].ops->reset(&th->card[slot]) != 0)
            return UV_E_MEDIUM_IO;
        th->powered[slot] = 1;
    }
    return UV_OK;
}
static int h_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    struct thost *th = host;
    uint8_t a[SIM_ATR_MAX];
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    if (!th->present[slot])
        return UV_E_MEDIUM_ABSENT;
    size_t n = th->card[slot].ops->atr(&th->card[slot], a);
    if (cap < n)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(atr, a, n);
    *len = n;
    return UV_OK;
}
static void pull(struct thost *th, uint32_t slot);
static int h_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t len, uint8_t *resp,
                      size_t cap, size_t *rlen)
{
    struct thost *th = host;
    uint8_t r[SIM_RESP_MAX];
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    if (!th->present[slot])
        return UV_E_MEDIUM_ABSENT;
    if (!th->powered[slot])
        return UV_E_MEDIUM_IO;
    ck_assert_uint_le(len, UV_APDU_MAX);
    int write = slot == UV_SLOT_USER && len > 2 && cmd[0] == 0x04 && cmd[1] == 0xD6;
    if (write) {
        th->writes++;
        if (th->fault == FAULT_PULL_BEFORE_WRITE) {
            pull(th, slot);
            return UV_E_MEDIUM_ABSENT;
        }
        if (th->fault == FAULT_WRITE_LOST) {
            resp[0] = 0x90;
            resp[1] = 0x00;
            *rlen = 2;
            return UV_OK;
        }
    }
    if (th->fault == FAULT_PULL_AT_READBACK && th->writes > 0 && cmd[1] == 0xB0) {
        pull(th, slot);
        return UV_E_MEDIUM_ABSENT;
    }
    size_t n = th->card[slot].ops->apdu(&th->card[slot], cmd, len, r);
    if (write && th->fault == FAULT_PULL_AFTER_WRITE) {
        pull(th, slot);
        return UV_E_MEDIUM_ABSENT;
    }
    ck_assert_uint_ge(n, 2);
    if (cap < n)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(resp, r, n);
    *rlen = n;
    return UV_OK;
}
static int h_disconnect(void *host, uint32_t slot, int reset)
{
    struct thost *th = host;
    if (slot > 1)
        return UV_E_UNSUPPORTED;
    if (reset && th->powered[slot])
        th->card[slot].ops->release(&th->card[slot]);
    if (reset)
        th->powered[slot] = 0;
    return UV_OK;
}

/* ---- fixtures ------------------------------------------------------------ */

static void hexkey(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void add_key(struct thost *th, const char *ref, const char *hex)
{
    struct tkey *k = &th->keys[th->n_keys++];
    snprintf(k->ref, sizeof k->ref, "%s", ref);
    k->len = strlen(hex) / 2;
    hexkey(hex, k->key, k->len);
}

static struct thost *th_new(void)
{
    struct thost *th = calloc(1, sizeof *th);
    ck_assert_ptr_nonnull(th);
    char *d = tu_mkdtemp();
    snprintf(th->dir, sizeof th->dir, "%s", d);
    free(d);
    th->svc = (struct uv_host_services){
        .struct_size = sizeof th->svc, .abi_major = UV_ABI_MAJOR, .abi_minor = UV_ABI_MINOR,
        .log = h_log, .now = h_now, .random = h_random, .key_get = h_key_get, .wipe = h_wipe,
        .card_readers = h_readers, .card_wait = h_wait, .card_connect = h_connect,
        .card_atr = h_atr, .card_transmit = h_transmit, .card_disconnect = h_disconnect};
    char path[4200];
    snprintf(path, sizeof path, "%s/cpucard.so", tu_driver_dir());
    th->so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(th->so != NULL, "dlopen %s: %s", path, dlerror());
    uv_driver_entry_fn entry = (uv_driver_entry_fn)dlsym(th->so, UV_DRIVER_ENTRY_NAME);
    ck_assert_ptr_nonnull(entry);
    th->drv = entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    ck_assert_ptr_nonnull(th->drv);
    add_key(th, "cpucard:card", CARD_MASTER);
    add_key(th, "cpucard:meter", METER_MASTER);
    return th;
}

/* Open the driver with "name=value" settings, NULL-terminated. */
static int th_open(struct thost *th, ...)
{
    struct uv_param p[8];
    char buf[8][64];
    size_t n = 0;
    va_list ap;
    va_start(ap, th);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL; n++) {
        ck_assert_uint_lt(n, 8);
        snprintf(buf[n], sizeof buf[n], "%s", s);
        char *eq = strchr(buf[n], '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        p[n].name = buf[n];
        p[n].value = eq + 1;
    }
    va_end(ap);
    if (th->dctx)
        th->drv->close(th->dctx);
    th->dctx = NULL;
    return th->drv->open(&th->svc, th, p, n, &th->dctx);
}

static void pull(struct thost *th, uint32_t slot)
{
    if (th->powered[slot])
        th->card[slot].ops->release(&th->card[slot]);
    th->present[slot] = th->powered[slot] = 0;
}

static void th_free(struct thost *th)
{
    if (th->dctx)
        th->drv->close(th->dctx);
    pull(th, 0);
    pull(th, 1);
    dlclose(th->so);
    tu_rmrf(th->dir);
    free(th);
}

static void file_of(const struct thost *th, const char *name, char out[4200])
{
    snprintf(out, 4200, "%s/%s", th->dir, name);
}

/* Personalise a card image: type "cpu" or "sam", then options, NULL-ended. */
static int personalise(struct thost *th, const char *type, const char *name, ...)
{
    char path[4200], *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, name);
    for (char *s; (s = va_arg(ap, char *)) != NULL;)
        argv[argc++] = s;
    va_end(ap);
    file_of(th, name, path);
    const struct sim_card_ops *ops = strcmp(type, "sam") == 0 ? &sim_card_sam : &sim_card_cpu;
    FILE *err = fopen("/dev/null", "w");
    int rc = ops->personalise(path, argc, argv, err);
    fclose(err);
    return rc;
}

static void card_of(struct thost *th, const char *name, const char *alg, const char *master)
{
    char a[32], m[64];
    snprintf(a, sizeof a, "alg=%s", alg);
    snprintf(m, sizeof m, "master=%s", master);
    ck_assert_int_eq(personalise(th, "cpu", name, "serial=" SERIAL, "meter=" METER, a, m, NULL), 0);
}

static void insert(struct thost *th, uint32_t slot, const char *name)
{
    char path[4200];
    pull(th, slot);
    file_of(th, name, path);
    th->card[slot].ops = slot == UV_SLOT_SAM ? &sim_card_sam : &sim_card_cpu;
    ck_assert_int_eq(image_load(&th->card[slot].img, path, 0), 0);
    th->present[slot] = 1;
}

/* Insert a card whose image is of another type (e.g. the SAM in the user slot). */
static void insert_as(struct thost *th, uint32_t slot, const char *name,
                      const struct sim_card_ops *ops)
{
    insert(th, slot, name);
    th->card[slot].ops = ops;
}

static void copy_file(const struct thost *th, const char *from, const char *to)
{
    char a[4200], b[4200];
    file_of(th, from, a);
    file_of(th, to, b);
    tu_copy(a, b);
}

/* A meter record as the kiosk hands it to the driver. */
struct tmeter {
    struct uv_meter m;
    struct uv_param p[2];
    uint8_t state[UV_STATE_MAX];
};

static void tm_init(struct tmeter *t, const char *number)
{
    memset(t, 0, sizeof *t);
    t->m.struct_size = sizeof t->m;
    t->m.number = number;
    t->m.type_code = "CPU-E1";
    t->m.params = t->p;
    t->m.state = t->state;
}

static void tm_keep(struct tmeter *t, const struct uv_issue_result *r)
{
    ck_assert_uint_le(r->state_len, UV_STATE_MAX);
    memcpy(t->state, r->state, r->state_len);
    t->m.state_len = r->state_len;
}

static struct uv_medium_info info_new(void)
{
    struct uv_medium_info i;
    memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    return i;
}

static struct uv_issue_result result_new(void)
{
    struct uv_issue_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    return r;
}

/* Read the card in the reader, then verify it for the meter, as the host does. */
static int verify(struct thost *th, struct tmeter *t, struct uv_medium_info *info)
{
    struct uv_medium_info mine = info_new(), id = info_new();
    int rc = th->drv->read_medium(th->dctx, &id);
    if (rc != UV_OK)
        return rc;
    return th->drv->verify(th->dctx, &t->m, info ? info : &mine);
}

/* The clerk's sale: read the card, verify it, write the credit. */
static int sell(struct thost *th, struct tmeter *t, uint64_t wh, uint64_t seq,
                struct uv_issue_result *res)
{
    struct uv_medium_info info = info_new();
    int rc = th->drv->read_medium(th->dctx, &info);
    if (rc != UV_OK)
        return rc;
    ck_assert_str_eq(info.meter_number, t->m.number);
    if ((rc = verify(th, t, NULL)) != UV_OK)
        return rc;
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, wh, seq};
    *res = result_new();
    rc = th->drv->issue_credit(th->dctx, &t->m, &req, res);
    if (rc == UV_OK)
        tm_keep(t, res);
    return rc;
}

static const char *err_of(struct thost *th)
{
    return th->drv->last_error(th->dctx);
}

/* A binary field of a card image, as the test reads it (not the driver). */
static void image_field(struct thost *th, const char *name, const char *field, uint8_t *out,
                        size_t len)
{
    char path[4200];
    struct sim_image *img = calloc(1, sizeof *img);
    file_of(th, name, path);
    ck_assert_int_eq(image_load(img, path, 0), 0);
    ck_assert_int_eq(image_get_bin(img, field, out, len), (long)len);
    free(img);
}

static void image_edit(struct thost *th, const char *name, const char *field, size_t byte,
                       uint8_t xor)
{
    char path[4200];
    uint8_t b[64];
    struct sim_image *img = calloc(1, sizeof *img);
    file_of(th, name, path);
    ck_assert_int_eq(image_load(img, path, 0), 0);
    long n = image_get_bin(img, field, b, sizeof b);
    ck_assert_int_gt(n, (long)byte);
    b[byte] ^= xor;
    ck_assert_int_eq(image_set_bin(img, field, b, (size_t)n), 0);
    ck_assert_int_eq(image_save(img), 0);
    free(img);
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The meter takes the card: `cardsim meter cpu IMAGE ...`. */
static int meter_visit(struct thost *th, const char *name, const char *opt1, const char *opt2)
{
    char path[4200], *argv[4] = {"metermaster=" METER_MASTER, NULL, NULL, NULL};
    int argc = 1;
    if (opt1)
        argv[argc++] = (char *)opt1;
    if (opt2)
        argv[argc++] = (char *)opt2;
    file_of(th, name, path);
    FILE *out = fopen("/dev/null", "w");
    int rc = sim_card_cpu.meter(path, argc, argv, out);
    fclose(out);
    return rc;
}

/* The meter's own key for METER, as the meter holds it. */
static void meter_key(int alg, uint8_t km[16])
{
    uint8_t mm[16];
    hexkey(METER_MASTER, mm, 16);
    ck_assert_int_eq(cardkey_derive(alg, mm, (const uint8_t *)METER, strlen(METER), km), 0);
}

/* ---- the descriptor ---------------------------------------------------- */

START_TEST(test_cpu_descriptor)
{
    struct thost *th = th_new();
    const struct uv_driver *d = th->drv;
    ck_assert_str_eq(d->name, "cpucard");
    ck_assert_uint_eq(d->media, UV_MEDIUM_CPU_CARD);
    ck_assert_str_eq(d->type_codes[0], "CPU-E1");
    ck_assert_ptr_null(d->type_codes[1]);
    ck_assert_ptr_null(d->decode_token);
    ck_assert_ptr_nonnull(d->read_medium);
    ck_assert_int_eq(d->self_test(&th->svc, th), UV_OK);
    /* the ATR pattern is the emulated card's ATR */
    uint8_t atr[SIM_ATR_MAX];
    size_t n = sim_card_cpu.atr(NULL, atr);
    char hex[2 * SIM_ATR_MAX + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02X", atr[i]);
    ck_assert_str_eq(d->atr_patterns[0].atr, hex);
    ck_assert_ptr_null(d->atr_patterns[1].atr);
    /* the ATR's own check byte: XOR of T0 .. TCK is 0 */
    uint8_t x = 0;
    for (size_t i = 1; i < n; i++)
        x ^= atr[i];
    ck_assert_uint_eq(x, 0);
    th_free(th);
}
END_TEST

START_TEST(test_cpu_settings)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    ck_assert_int_eq(th_open(th, "alg=sm4", "keys=sam", "card_slot=3", "meter_slot=4", NULL),
                     UV_OK);
    ck_assert_int_eq(th_open(th, "alg=des", NULL), UV_E_PARAM);
    ck_assert_int_eq(th_open(th, "keys=disk", NULL), UV_E_PARAM);
    ck_assert_int_eq(th_open(th, "card_slot=0", NULL), UV_E_PARAM);
    ck_assert_int_eq(th_open(th, "card_slot=16", NULL), UV_E_PARAM);
    ck_assert_int_eq(th_open(th, "keys=sam", "card_slot=2", NULL), UV_E_PARAM); /* = meter_slot */
    ck_assert_int_eq(th_open(th, "colour=blue", NULL), UV_E_PARAM);
    ck_assert_int_eq(th_open(th, "card_key=", NULL), UV_E_PARAM);
    th_free(th);
}
END_TEST

/* ---- sales --------------------------------------------------------------- */

/* A sale in store mode for each alg, the meter's visit, and a second sale. */
START_TEST(test_cpu_sale_store)
{
    const char *alg = algs[_i];
    char setting[32];
    snprintf(setting, sizeof setting, "alg=%s", alg);
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, setting, NULL), UV_OK);
    card_of(th, "card", alg, CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);

    struct uv_medium_info info = info_new();
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_OK);
    ck_assert_str_eq(info.meter_number, METER);
    ck_assert_str_eq(info.type_code, "CPU-E1");
    ck_assert_str_eq(info.card_serial, SERIAL);
    ck_assert_uint_eq(info.last_sequence, 0);
    info = info_new();
    ck_assert_msg(verify(th, &t, &info) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(info.flags, UV_INFO_PENDING); /* no meter data yet */
    ck_assert_uint_eq(info.pending_amount, 0);

    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 50000, 7};
    struct uv_issue_result res = result_new();
    ck_assert_msg(th->drv->issue_credit(th->dctx, &t.m, &req, &res) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(res.medium_written, 1);
    ck_assert_uint_eq(res.n_tokens, 0);
    ck_assert_uint_eq(res.amount_issued, 50000);
    ck_assert_str_eq(res.token_id, SERIAL "/1");
    ck_assert_uint_eq(res.state_len, 33);
    tm_keep(&t, &res);

    /* the card holds purchase 1, sequence 7, 50 kWh, MAC'd under the meter's key */
    uint8_t p[40], km[16], mac[16], in[64];
    image_field(th, "card", "purchase", p, sizeof p);
    ck_assert_uint_eq(p[1], 1);
    ck_assert_uint_eq(be(p + 4, 4), 1);
    ck_assert_uint_eq(be(p + 8, 8), 7);
    ck_assert_uint_eq(be(p + 16, 8), 50000);
    ck_assert_uint_eq(be(p + 24, 8), 50000);
    meter_key(cardkey_alg_parse(alg), km);
    in[0] = 0x10;
    hexkey(SERIAL, in + 1, 8);
    memcpy(in + 9, p, 32);
    ck_assert_int_eq(cardkey_cmac(cardkey_alg_parse(alg), km, in, 41, mac), 0);
    ck_assert_mem_eq(mac, p + 32, 8);

    /* the meter loads it, uses 2 kWh, reports back */
    ck_assert_int_eq(meter_visit(th, "card", "use=2000", "tamper=0"), 0);
    insert(th, UV_SLOT_USER, "card");
    info = info_new();
    ck_assert_msg(verify(th, &t, &info) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(info.flags, UV_INFO_PENDING | UV_INFO_METER_DATA);
    ck_assert_uint_eq(info.meter_remaining, 48000);
    ck_assert_uint_eq(info.meter_tamper, 0);
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert_uint_eq(info.last_sequence, 7);

    /* the next sale: purchase 2 */
    ck_assert_msg(sell(th, &t, 10000, 8, &res) == UV_OK, "%s", err_of(th));
    image_field(th, "card", "purchase", p, sizeof p);
    ck_assert_uint_eq(be(p + 4, 4), 2);
    ck_assert_uint_eq(be(p + 16, 8), 10000); /* the meter had loaded the first */
    ck_assert_int_eq(meter_visit(th, "card", NULL, NULL), 0);
    insert(th, UV_SLOT_USER, "card");
    info = info_new();
    ck_assert_msg(verify(th, &t, &info) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(info.meter_remaining, 58000);
    th_free(th);
}
END_TEST

/* The same in SAM mode: the kiosk's key store is empty; the SAM on the
   second slot holds both masters. */
START_TEST(test_cpu_sale_sam)
{
    const char *alg = algs[_i];
    char setting[32], s1[64], s2[64];
    snprintf(setting, sizeof setting, "alg=%s", alg);
    snprintf(s1, sizeof s1, "slot1=%s:" CARD_MASTER, alg);
    snprintf(s2, sizeof s2, "slot2=%s:" METER_MASTER ":mac", alg);
    struct thost *th = th_new();
    th->n_keys = 0; /* nothing in the key store */
    ck_assert_int_eq(th_open(th, setting, "keys=sam", NULL), UV_OK);
    card_of(th, "card", alg, CARD_MASTER);
    ck_assert_int_eq(personalise(th, "sam", "sam", s1, s2, NULL), 0);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;

    /* no SAM yet: the keys are missing, and the clerk is told where they are */
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(err_of(th), "no SAM"));
    insert(th, UV_SLOT_SAM, "sam");
    ck_assert_msg(sell(th, &t, 30000, 1, &res) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(res.medium_written, 1);
    /* the meter, with only its own key, accepts what the SAM MAC'd */
    ck_assert_int_eq(meter_visit(th, "card", "use=500", NULL), 0);
    insert(th, UV_SLOT_USER, "card");
    struct uv_medium_info info = info_new();
    ck_assert_msg(verify(th, &t, &info) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(info.meter_remaining, 29500);
    ck_assert_msg(sell(th, &t, 1000, 2, &res) == UV_OK, "%s", err_of(th));
    /* a card made with another card master fails in SAM mode too */
    char a[32];
    snprintf(a, sizeof a, "alg=%s", alg);
    ck_assert_int_eq(personalise(th, "cpu", "clone", "serial=" SERIAL, "meter=" METER, a,
                                 "master=" OTHER_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_USER, "clone");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_AUTH);
    th_free(th);
}
END_TEST

START_TEST(test_cpu_sam_misfit)
{
    struct thost *th = th_new();
    th->n_keys = 0;
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    /* the SAM lacks the meter slot */
    ck_assert_int_eq(personalise(th, "sam", "sam1", "slot1=aes:" CARD_MASTER, NULL), 0);
    insert(th, UV_SLOT_SAM, "sam1");
    ck_assert_int_eq(th_open(th, "keys=sam", NULL), UV_OK);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(err_of(th), "slot 2"));
    /* a slot of another alg */
    ck_assert_int_eq(personalise(th, "sam", "sam2", "slot1=aes:" CARD_MASTER,
                                 "slot2=sm4:" METER_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_SAM, "sam2");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_KEY_INVALID);
    ck_assert_ptr_nonnull(strstr(err_of(th), "sm4"));
    /* a slot that may not MAC */
    ck_assert_int_eq(personalise(th, "sam", "sam3", "slot1=aes:" CARD_MASTER ":enc",
                                 "slot2=aes:" METER_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_SAM, "sam3");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_KEY_INVALID);
    /* the user's card in the SAM reader */
    insert_as(th, UV_SLOT_SAM, "card", &sim_card_cpu);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_MEDIUM_IO);
    th_free(th);
}
END_TEST

START_TEST(test_cpu_store_keys_misfit)
{
    struct thost *th = th_new();
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    ck_assert_int_eq(th_open(th, "card_key=cpucard:nosuch", NULL), UV_OK);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(err_of(th), "cpucard:nosuch"));
    add_key(th, "cpucard:short", "0011223344556677");
    ck_assert_int_eq(th_open(th, "meter_key=cpucard:short", NULL), UV_OK);
    ck_assert_int_eq(verify(th, &t, NULL), UV_OK); /* no purchase yet: the meter key unused */
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 1000, 1, &res), UV_E_KEY_INVALID);
    ck_assert_uint_eq(res.medium_written, 0);
    th_free(th);
}
END_TEST

/* ---- refusals ------------------------------------------------------------ */

/* A cloned card: the same serial and meter, made with another card master
   (whoever made it did not have ours). */
START_TEST(test_cpu_refuse_clone)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "clone", "aes", OTHER_MASTER);
    insert(th, UV_SLOT_USER, "clone");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res = result_new();
    ck_assert_int_eq(sell(th, &t, 1000, 1, &res), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(err_of(th), "cloned"));
    ck_assert_uint_eq(res.medium_written, 0);
    /* nothing was written, and the kiosk spent none of the card's tries */
    uint8_t p[40];
    image_field(th, "clone", "purchase", p, sizeof p);
    ck_assert_uint_eq(p[1], 0);
    ck_assert_uint_eq(th->writes, 0);
    char path[4200];
    struct sim_image *img = calloc(1, sizeof *img);
    file_of(th, "clone", path);
    ck_assert_int_eq(image_load(img, path, 0), 0);
    ck_assert_str_eq(image_get(img, "tries"), "3");
    free(img);
    /* a kiosk whose card master is wrong is refused the same way by a genuine card */
    card_of(th, "card", "aes", CARD_MASTER);
    th->keys[0].key[0] ^= 1;
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_AUTH);
    th_free(th);
}
END_TEST

static void image_copy_field(struct thost *th, const char *from, const char *to,
                             const char *field)
{
    uint8_t b[64];
    char path[4200];
    long n;
    struct sim_image *img = calloc(1, sizeof *img);
    file_of(th, from, path);
    ck_assert_int_eq(image_load(img, path, 0), 0);
    ck_assert_int_gt(n = image_get_bin(img, field, b, sizeof b), 0);
    file_of(th, to, path);
    ck_assert_int_eq(image_load(img, path, 0), 0);
    ck_assert_int_eq(image_set_bin(img, field, b, (size_t)n), 0);
    ck_assert_int_eq(image_save(img), 0);
    free(img);
}

/* The card rolled back to an older copy of itself (a replay of the purchase
   record the meter already loaded). */
START_TEST(test_cpu_refuse_replay)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t, t1;
    tm_init(&t, METER);
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 20000, 1, &res), UV_OK);
    copy_file(th, "card", "copy1"); /* holds purchase 1, not yet loaded */
    t1 = t;
    t1.m.state = t1.state;
    t1.m.params = t1.p;
    ck_assert_int_eq(meter_visit(th, "card", NULL, NULL), 0);
    copy_file(th, "card", "visit1"); /* the meter's return 1 */
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(sell(th, &t, 20000, 2, &res), UV_OK);
    copy_file(th, "card", "genuine");

    /* purchase 1 again, to load it twice */
    copy_file(th, "copy1", "card");
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_REPLAY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "rolled back"));
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 3};
    res = result_new();
    ck_assert_int_eq(th->drv->issue_credit(th->dctx, &t.m, &req, &res), UV_E_VERIFY);
    ck_assert_uint_eq(res.medium_written, 0);

    /* a purchase 2 that is not the one this kiosk wrote: the old copy, sold
       to with the older state (as another kiosk would) */
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(sell(th, &t1, 5000, 99, &res), UV_OK);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_REPLAY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "not the one this kiosk wrote"));

    /* the genuine card still sells */
    copy_file(th, "genuine", "card");
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(meter_visit(th, "card", NULL, NULL), 0); /* return 2 */
    insert(th, UV_SLOT_USER, "card");
    ck_assert_msg(sell(th, &t, 1000, 4, &res) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(be(t.state + 29, 4), 2); /* the kiosk keeps the return counter */
    /* the meter's return 1 put back: older than the kiosk saw */
    image_copy_field(th, "visit1", "card", "return");
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_REPLAY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "return data"));
    th_free(th);
}
END_TEST

START_TEST(test_cpu_refuse_tampered)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 20000, 1, &res), UV_OK);
    ck_assert_int_eq(meter_visit(th, "card", "use=100", NULL), 0);
    copy_file(th, "card", "good");
    /* more credit written into the purchase record by hand */
    image_edit(th, "card", "purchase", 23, 0x40);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "wrong MAC"));
    /* the purchase MAC itself */
    copy_file(th, "good", "card");
    image_edit(th, "card", "purchase", 35, 0x01);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_VERIFY);
    /* the meter's remaining credit */
    copy_file(th, "good", "card");
    image_edit(th, "card", "return", 20, 0x10);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "return data"));
    /* the identification (key version byte) */
    copy_file(th, "good", "card");
    image_edit(th, "card", "id", 2, 0x01);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "identification"));
    /* the good copy still verifies: the checks are not refusing everything */
    copy_file(th, "good", "card");
    insert(th, UV_SLOT_USER, "card");
    ck_assert_msg(verify(th, &t, NULL) == UV_OK, "%s", err_of(th));
    th_free(th);
}
END_TEST

START_TEST(test_cpu_refuse_unknown)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_medium_info info = info_new();
    /* a card of another type code: identified, then refused for this meter */
    ck_assert_int_eq(personalise(th, "cpu", "foreign", "serial=" SERIAL, "meter=" METER,
                                 "type=ACME-7", "master=" CARD_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_USER, "foreign");
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_OK);
    ck_assert_str_eq(info.type_code, "ACME-7");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_UNKNOWN);
    /* another meter's card */
    ck_assert_int_eq(personalise(th, "cpu", "neighbour", "serial=0000000000000002",
                                 "meter=04999999999", "master=" CARD_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_USER, "neighbour");
    info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK); /* only a check of the meter: */
    ck_assert_ptr_nonnull(strstr(info.summary, "checked when it is inserted"));
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 1};
    struct uv_issue_result res = result_new();
    ck_assert_int_eq(th->drv->issue_credit(th->dctx, &t.m, &req, &res), UV_E_VERIFY);
    ck_assert_uint_eq(res.medium_written, 0); /* nothing is written to another meter's card */
    /* a card keyed for another alg */
    card_of(th, "sm4card", "sm4", CARD_MASTER);
    insert(th, UV_SLOT_USER, "sm4card");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(err_of(th), "sm4"));
    /* not a univend CPU card at all (a SAM in the customer's slot) */
    ck_assert_int_eq(personalise(th, "sam", "sam", "slot1=aes:" CARD_MASTER, NULL), 0);
    insert_as(th, UV_SLOT_USER, "sam", &sim_card_sam);
    info = info_new();
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_E_UNSUPPORTED);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_UNSUPPORTED);
    /* a second card for a meter already sold to on the first */
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(sell(th, &t, 1000, 1, &res), UV_OK);
    ck_assert_int_eq(personalise(th, "cpu", "second", "serial=00000000000000AA",
                                 "meter=" METER, "master=" CARD_MASTER, NULL),
                     0);
    insert(th, UV_SLOT_USER, "second");
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(err_of(th), "card=00000000000000AA"));
    /* registered as the replacement: sold to with its own counters */
    t.p[0] = (struct uv_param){"card", "00000000000000AA"};
    t.m.n_params = 1;
    ck_assert_msg(sell(th, &t, 1000, 2, &res) == UV_OK, "%s", err_of(th));
    insert(th, UV_SLOT_USER, "card"); /* the old card is now the stranger */
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_CARD_UNKNOWN);
    /* no card at all */
    pull(th, UV_SLOT_USER);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_MEDIUM_ABSENT);
    th_free(th);
}
END_TEST

/* The purchase counter cannot increase: refused before anything is written. */
START_TEST(test_cpu_refuse_counter_exhausted)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    ck_assert_int_eq(personalise(th, "cpu", "card", "serial=" SERIAL, "meter=" METER,
                                 "master=" CARD_MASTER, "counter=4294967295", NULL),
                     0);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res = result_new();
    ck_assert_int_eq(sell(th, &t, 1000, 1, &res), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(err_of(th), "cannot increase"));
    ck_assert_uint_eq(th->writes, 0);
    /* one below: the last purchase goes through, then the card is full */
    th_free(th);
    th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    ck_assert_int_eq(personalise(th, "cpu", "card", "serial=" SERIAL, "meter=" METER,
                                 "master=" CARD_MASTER, "counter=4294967294", NULL),
                     0);
    insert(th, UV_SLOT_USER, "card");
    tm_init(&t, METER);
    ck_assert_int_eq(sell(th, &t, 1000, 1, &res), UV_OK);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_VERIFY);
    th_free(th);
}
END_TEST

/* A state blob from the store that is not this driver's. */
START_TEST(test_cpu_refuse_bad_state)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    t.state[0] = 9;
    t.m.state_len = 33;
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_STATE);
    t.state[0] = 1;
    t.m.state_len = 5;
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_STATE);
    t.m.type_code = "STS-EA07";
    t.m.state_len = 0;
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_PARAM);
    t.m.type_code = "CPU-E1";
    t.m.number = "THIS-NUMBER-IS-TOO-LONG";
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_METER_ID);
    th_free(th);
}
END_TEST

/* ---- refund, meter data, pending credit -------------------------------- */

static int refund(struct thost *th, struct tmeter *t, struct uv_issue_result *res)
{
    struct uv_mgmt_request req = {sizeof req, UV_MGMT_REFUND, 0, NULL, 0};
    int rc = verify(th, t, NULL);
    if (rc != UV_OK)
        return rc;
    *res = result_new();
    rc = th->drv->issue_mgmt(th->dctx, &t->m, &req, res);
    if (rc == UV_OK)
        tm_keep(t, res);
    return rc;
}

START_TEST(test_cpu_refund)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    /* nothing on the card yet */
    ck_assert_int_eq(refund(th, &t, &res), UV_E_AMOUNT_RANGE);
    /* two purchases before the meter saw the card: both are pending */
    ck_assert_int_eq(sell(th, &t, 30000, 1, &res), UV_OK);
    ck_assert_int_eq(sell(th, &t, 12000, 2, &res), UV_OK);
    struct uv_medium_info info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 42000);
    ck_assert_uint_eq(info.last_sequence, 2);
    /* the card comes back unused: refunded whole */
    ck_assert_msg(refund(th, &t, &res) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(res.amount_issued, 42000);
    ck_assert_uint_eq(res.medium_written, 1);
    uint8_t p[40];
    image_field(th, "card", "purchase", p, sizeof p);
    ck_assert_uint_eq(p[1], 2); /* cancelled */
    ck_assert_uint_eq(be(p + 4, 4), 3);
    ck_assert_uint_eq(be(p + 16, 8), 0);
    info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert_ptr_nonnull(strstr(info.summary, "refunded"));
    /* not twice */
    ck_assert_int_eq(refund(th, &t, &res), UV_E_AMOUNT_RANGE);
    ck_assert_ptr_nonnull(strstr(err_of(th), "refunded already"));
    /* the meter loads nothing from a cancelled purchase */
    ck_assert_int_eq(meter_visit(th, "card", NULL, NULL), 0);
    insert(th, UV_SLOT_USER, "card");
    info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK);
    ck_assert_uint_eq(info.meter_remaining, 0);
    /* once the meter has loaded a purchase, there is nothing to give back */
    ck_assert_int_eq(sell(th, &t, 5000, 4, &res), UV_OK);
    ck_assert_int_eq(meter_visit(th, "card", NULL, NULL), 0);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_int_eq(refund(th, &t, &res), UV_E_AMOUNT_RANGE);
    ck_assert_ptr_nonnull(strstr(err_of(th), "loaded"));
    /* other operations are not offered */
    struct uv_mgmt_request other = {sizeof other, UV_MGMT_CLEAR_TAMPER, 0, NULL, 0};
    res = result_new();
    ck_assert_int_eq(th->drv->issue_mgmt(th->dctx, &t.m, &other, &res), UV_E_UNSUPPORTED);
    th_free(th);
}
END_TEST

START_TEST(test_cpu_meter_readback)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 25000, 1, &res), UV_OK);
    ck_assert_int_eq(meter_visit(th, "card", "use=1500", "tamper=5"), 0);
    insert(th, UV_SLOT_USER, "card");
    struct uv_medium_info info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK);
    ck_assert(info.flags & UV_INFO_METER_DATA);
    ck_assert_uint_eq(info.meter_remaining, 23500);
    ck_assert_uint_eq(info.meter_tamper, 5);
    ck_assert_ptr_nonnull(strstr(info.summary, "23.5 kWh left"));
    ck_assert_ptr_nonnull(strstr(info.summary, "cover opened, reverse energy"));
    /* a meter with the wrong key refuses the purchase and leaves the card alone */
    uint8_t before[40], after[40];
    image_field(th, "card", "return", before, sizeof before);
    char path[4200], *argv[] = {"meterkey=00000000000000000000000000000000"};
    file_of(th, "card", path);
    FILE *out = fopen("/dev/null", "w");
    ck_assert_int_eq(sim_card_cpu.meter(path, 1, argv, out), 1);
    fclose(out);
    image_field(th, "card", "return", after, sizeof after);
    ck_assert_mem_eq(before, after, sizeof before);
    insert(th, UV_SLOT_USER, "card");
    ck_assert_msg(sell(th, &t, 1000, 2, &res) == UV_OK, "%s", err_of(th));
    th_free(th);
}
END_TEST

/* ---- the card pulled mid-write ----------------------------------------- */

START_TEST(test_cpu_pulled_before_write)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 10000, 1, &res), UV_OK);
    th->fault = FAULT_PULL_BEFORE_WRITE;
    res = result_new();
    ck_assert_int_eq(sell(th, &t, 20000, 2, &res), UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(res.medium_written, 0);
    ck_assert_ptr_nonnull(strstr(err_of(th), "removed"));
    /* back in the reader: the card says the last credit it got was sequence 1 */
    th->fault = FAULT_NONE;
    insert(th, UV_SLOT_USER, "card");
    struct uv_medium_info info = info_new();
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_OK);
    ck_assert_uint_eq(info.last_sequence, 1);
    info = info_new();
    ck_assert_int_eq(verify(th, &t, &info), UV_OK);
    ck_assert_uint_eq(info.last_sequence, 1);
    ck_assert_uint_eq(info.pending_amount, 10000);
    /* and the sale can be made again */
    ck_assert_int_eq(sell(th, &t, 20000, 2, &res), UV_OK);
    th_free(th);
}
END_TEST

START_TEST(test_cpu_pulled_after_write)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    ck_assert_int_eq(sell(th, &t, 10000, 1, &res), UV_OK);
    th->fault = _i == 0 ? FAULT_PULL_AFTER_WRITE : FAULT_PULL_AT_READBACK;
    th->writes = 0;
    res = result_new();
    ck_assert_int_eq(sell(th, &t, 20000, 2, &res), UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(res.medium_written, 0);
    ck_assert_uint_eq(res.state_len, 0);
    /* the write did reach the card: the host sees its sequence when the card
       is read again, and the kiosk's old state still accepts the card */
    th->fault = FAULT_NONE;
    insert(th, UV_SLOT_USER, "card");
    struct uv_medium_info info = info_new();
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_OK);
    ck_assert_uint_eq(info.last_sequence, 2);
    info = info_new();
    ck_assert_msg(verify(th, &t, &info) == UV_OK, "%s", err_of(th));
    ck_assert_uint_eq(info.last_sequence, 2);
    ck_assert_uint_eq(info.pending_amount, 30000);
    /* a write without a verify on this connection is refused */
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 3};
    th->drv->read_medium(th->dctx, &info);
    res = result_new();
    ck_assert_int_eq(th->drv->issue_credit(th->dctx, &t.m, &req, &res), UV_E_VERIFY);
    th_free(th);
}
END_TEST

/* A card (or reader) that says 9000 but does not keep the purchase: the
   read back catches it and nothing is reported written. */
START_TEST(test_cpu_write_not_kept)
{
    struct thost *th = th_new();
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    card_of(th, "card", "aes", CARD_MASTER);
    insert(th, UV_SLOT_USER, "card");
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_issue_result res;
    th->fault = FAULT_WRITE_LOST;
    ck_assert_int_eq(sell(th, &t, 10000, 1, &res), UV_E_MEDIUM_IO);
    ck_assert_uint_eq(res.medium_written, 0);
    ck_assert_ptr_nonnull(strstr(err_of(th), "does not hold"));
    th_free(th);
}
END_TEST

/* No card channel in the host (e.g. `univend driver check`). */
START_TEST(test_cpu_no_channel)
{
    struct thost *th = th_new();
    th->svc.card_transmit = NULL;
    ck_assert_int_eq(th_open(th, NULL), UV_OK);
    struct tmeter t;
    tm_init(&t, METER);
    struct uv_medium_info info = info_new();
    ck_assert_int_eq(th->drv->read_medium(th->dctx, &info), UV_E_UNSUPPORTED);
    ck_assert_int_eq(verify(th, &t, NULL), UV_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err_of(th), "no card reader"));
    /* the meter alone checks (keys present); nothing can be written */
    ck_assert_int_eq(th->drv->verify(th->dctx, &t.m, &info), UV_OK);
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 1000, 1};
    struct uv_issue_result res = result_new();
    ck_assert_int_eq(th->drv->issue_credit(th->dctx, &t.m, &req, &res), UV_E_VERIFY);
    th->n_keys = 1; /* the meter master missing */
    ck_assert_int_eq(th->drv->verify(th->dctx, &t.m, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(err_of(th), "cpucard:meter"));
    th_free(th);
}
END_TEST

Suite *cpucard_suite(void)
{
    Suite *s = suite_create("cpucard");
    TCase *tc = tcase_create("driver");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cpu_descriptor);
    tcase_add_test(tc, test_cpu_settings);
    tcase_add_loop_test(tc, test_cpu_sale_store, 0, 3);
    tcase_add_loop_test(tc, test_cpu_sale_sam, 0, 3);
    tcase_add_test(tc, test_cpu_sam_misfit);
    tcase_add_test(tc, test_cpu_store_keys_misfit);
    tcase_add_test(tc, test_cpu_refuse_clone);
    tcase_add_test(tc, test_cpu_refuse_replay);
    tcase_add_test(tc, test_cpu_refuse_tampered);
    tcase_add_test(tc, test_cpu_refuse_unknown);
    tcase_add_test(tc, test_cpu_refuse_counter_exhausted);
    tcase_add_test(tc, test_cpu_refuse_bad_state);
    tcase_add_test(tc, test_cpu_refund);
    tcase_add_test(tc, test_cpu_meter_readback);
    tcase_add_test(tc, test_cpu_pulled_before_write);
    tcase_add_loop_test(tc, test_cpu_pulled_after_write, 0, 2);
    tcase_add_test(tc, test_cpu_write_not_kept);
    tcase_add_test(tc, test_cpu_no_channel);
    suite_add_tcase(s, tc);
    return s;
}
