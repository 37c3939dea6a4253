/*
 * card_cpu.c — the univend CPU user card (ISO 7816-4), as the simulator
 * plays it. The file layout and every MAC's input are in
 * drivers/cpucard/cpu_layout.h; this is the card's side.
 *
 * File system: MF 3F00 / DF 1000 (AID F0 55 56 45 4E 44 43 50 55 30 31) /
 * transparent EFs 0001 identification (SFI 1, 56 bytes), 0002 purchase
 * (SFI 2, 40 bytes), 0003 meter return (SFI 3, 40 bytes). No record files.
 *
 * Commands (short APDUs; T=1):
 *   00 A4 04 00|0C  Lc AID          SELECT the application by AID
 *   00 A4 00 00|0C  02 FID          SELECT 3F00, 1000 or an EF of the DF
 *                                   (P2 00: FCP template in the answer)
 *   00 B0 P1 P2 Le                  READ BINARY: P1 bit 8 set: SFI in P1's
 *                                   low 5 bits, offset P2; else offset P1P2
 *                                   in the current EF
 *   00 84 00 00 08                  GET CHALLENGE: RND.ICC, good for one use
 *   00 88 00 00 08 RND.IFD 00       INTERNAL AUTHENTICATE: the card proves
 *                                   its key, CMAC8(Kc, 01||serial||RND.IFD)
 *   00 82 00 00 08 MAC              EXTERNAL AUTHENTICATE: the kiosk proves
 *                                   its key, CMAC8(Kc, 02||serial||RND.ICC);
 *                                   a wrong one spends a try (63Cx), none
 *                                   left: 6983, the card takes no more writes
 *   04 D6 P1 P2 Lc data MAC         UPDATE BINARY with a MAC appended (CLA 04,
 *                                   proprietary secure messaging): the purchase
 *                                   file, whole, after EXTERNAL AUTHENTICATE,
 *                                   MAC = CMAC8(Kc, 03||serial||RND.ICC||
 *                                   04 D6 P1 P2 Lc||data) over a fresh
 *                                   challenge; the purchase counter must grow
 *   00 D6 P1 P2 Lc data             UPDATE BINARY, plain: the meter return
 *                                   file, whole; its return counter must grow
 *                                   and its loaded counter must not fall
 * Status words: 9000; 6282 end of file before Le; 6700 length; 6982 security
 * status (no EXTERNAL AUTHENTICATE, or no MAC); 6983 authentication blocked;
 * 6985 conditions (no challenge, counter not growing, file read-only);
 * 6986 no current EF; 6988 wrong MAC; 6A80 bad data; 6A82 no such file or
 * application; 6B00 P1 P2; 6D00 INS; 6E00 CLA; 63Cx wrong key, x tries left;
 * 6581 the card could not save.
 * Security state (authenticated, challenge) is lost on reset and on SELECT
 * of the MF or of the application again.
 *
 * Image fields: card=cpu, serial, alg, key (the card key Kc, derived at
 * personalisation; the card never sees a master key), id, purchase, return
 * (the three files, hex), tries and tries_max (EXTERNAL AUTHENTICATE).
 *
 * The meter's side (`cardsim meter cpu IMAGE ...`, cpu_meter below) checks
 * the purchase MAC with the meter's own key Km, loads a purchase whose
 * counter is above the last one it loaded, and writes the return file.
 */
#include <errno.h>
#include <gcrypt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/cpucard/cpu_layout.h"
#include "card.h"

#define SW_END_OF_FILE 0x6282
#define SW_NO_EF 0x6986
#define SW_SM_WRONG 0x6988
#define SW_MEMORY 0x6581

enum { EF_NONE = 0, EF_ID = 1, EF_PURCHASE = 2, EF_RETURN = 3 };

struct cpu_vstate {
    int in_app;           /* the DF is the current DF      */
    unsigned ef;          /* current EF, EF_*               */
    int authenticated;    /* EXTERNAL AUTHENTICATE passed   */
    int have_rnd;         /* a challenge is outstanding     */
    uint8_t rnd[CPU_RND_LEN];
};

struct apdu {
    uint8_t cla, ins, p1, p2;
    size_t lc;
    const uint8_t *data;
    int has_le;
    size_t le; /* 1..256 */
    uint8_t header[5]; /* CLA INS P1 P2 Lc, as sent */
};

static int parse_apdu(const uint8_t *cmd, size_t len, struct apdu *a)
{
    memset(a, 0, sizeof *a);
    if (len < 4)
        return -1;
    a->cla = cmd[0];
    a->ins = cmd[1];
    a->p1 = cmd[2];
    a->p2 = cmd[3];
    memcpy(a->header, cmd, 4);
    if (len == 4)
        return 0;
    if (len == 5) {
        a->has_le = 1;
        a->le = cmd[4] ? cmd[4] : 256;
        return 0;
    }
    a->lc = cmd[4];
    a->header[4] = cmd[4];
    if (a->lc == 0) /* extended length: not on this card */
        return -1;
    a->data = cmd + 5;
    if (len == 5 + a->lc)
        return 0;
    if (len == 6 + a->lc) {
        a->has_le = 1;
        a->le = cmd[5 + a->lc] ? cmd[5 + a->lc] : 256;
        return 0;
    }
    return -1;
}

static const char *ef_field(unsigned ef)
{
    return ef == EF_ID ? "id" : ef == EF_PURCHASE ? "purchase" : "return";
}

static size_t ef_size(unsigned ef)
{
    return ef == EF_ID ? CPU_ID_LEN : CPU_REC_LEN;
}

static long load_ef(const struct sim_card *c, unsigned ef, uint8_t *buf)
{
    long n = image_get_bin(&c->img, ef_field(ef), buf, CPU_ID_LEN);
    return n == (long)ef_size(ef) ? n : -1;
}

static int card_key(const struct sim_card *c, int *alg, uint8_t key[CARDKEY_LEN],
                    uint8_t serial[CPU_SERIAL_LEN])
{
    *alg = cardkey_alg_parse(image_get(&c->img, "alg"));
    if (*alg == 0 || image_get_bin(&c->img, "key", key, CARDKEY_LEN) != CARDKEY_LEN ||
        image_get_bin(&c->img, "serial", serial, CPU_SERIAL_LEN) != CPU_SERIAL_LEN)
        return -1;
    return 0;
}

/* CMAC8 under the card key of the image. */
static int card_mac(const struct sim_card *c, const uint8_t *msg, size_t len,
                    uint8_t mac[CPU_MAC_LEN])
{
    int alg;
    uint8_t key[CARDKEY_LEN], serial[CPU_SERIAL_LEN], full[CARDKEY_MAC_MAX];
    int rc = -1;
    if (card_key(c, &alg, key, serial) == 0 && cardkey_cmac(alg, key, msg, len, full) == 0) {
        memcpy(mac, full, CPU_MAC_LEN);
        rc = 0;
    }
    explicit_bzero(key, sizeof key);
    return rc;
}

static int cpu_reset(struct sim_card *c)
{
    uint8_t buf[CPU_ID_LEN], key[CARDKEY_LEN], serial[CPU_SERIAL_LEN];
    uint64_t tries, max;
    int alg;
    free(c->state);
    c->state = NULL;
    int ok = card_key(c, &alg, key, serial) == 0 && load_ef(c, EF_ID, buf) > 0 &&
             load_ef(c, EF_PURCHASE, buf) > 0 && load_ef(c, EF_RETURN, buf) > 0 &&
             image_get_u64(&c->img, "tries", &tries) == 0 &&
             image_get_u64(&c->img, "tries_max", &max) == 0 && tries <= max && max <= 15;
    explicit_bzero(key, sizeof key);
    if (!ok)
        return -1;
    c->state = calloc(1, sizeof(struct cpu_vstate));
    return c->state ? 0 : -1;
}

static size_t card_atr(const struct sim_card *c, uint8_t out[SIM_ATR_MAX])
{
    (void)c;
    memcpy(out, cpu_atr, CPU_ATR_LEN);
    return CPU_ATR_LEN;
}

static void cpu_release(struct sim_card *c)
{
    if (c->state)
        explicit_bzero(c->state, sizeof(struct cpu_vstate));
    free(c->state);
    c->state = NULL;
}

/* FCP template of what SELECT chose. */
static size_t fcp(unsigned fid, uint8_t *r)
{
    size_t n = 2;
    if (fid == CPU_FID_MF || fid == CPU_FID_DF) {
        r[n++] = 0x82, r[n++] = 0x01, r[n++] = 0x38; /* DF */
        r[n++] = 0x83, r[n++] = 0x02, r[n++] = (uint8_t)(fid >> 8), r[n++] = (uint8_t)fid;
        if (fid == CPU_FID_DF) {
            r[n++] = 0x84, r[n++] = CPU_AID_LEN;
            memcpy(r + n, cpu_aid, CPU_AID_LEN);
            n += CPU_AID_LEN;
        }
    } else {
        size_t size = ef_size(fid);
        r[n++] = 0x80, r[n++] = 0x02, r[n++] = (uint8_t)(size >> 8), r[n++] = (uint8_t)size;
        r[n++] = 0x82, r[n++] = 0x01, r[n++] = 0x01; /* transparent EF */
        r[n++] = 0x83, r[n++] = 0x02, r[n++] = 0x00, r[n++] = (uint8_t)fid;
        r[n++] = 0x88, r[n++] = 0x01, r[n++] = (uint8_t)(fid << 3); /* SFI */
    }
    r[0] = 0x62;
    r[1] = (uint8_t)(n - 2);
    return n;
}

static size_t do_select(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    struct cpu_vstate *s = c->state;
    unsigned fid;
    if (a->p2 != 0x00 && a->p2 != 0x04 && a->p2 != 0x0C)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->p1 == 0x04) {
        if (a->lc != CPU_AID_LEN || memcmp(a->data, cpu_aid, CPU_AID_LEN) != 0)
            return sim_sw(resp, 0, SW_NOT_FOUND);
        fid = CPU_FID_DF;
    } else if (a->p1 == 0x00) {
        if (a->lc != 2)
            return sim_sw(resp, 0, SW_WRONG_LENGTH);
        fid = (unsigned)a->data[0] << 8 | a->data[1];
        if (fid != CPU_FID_MF && fid != CPU_FID_DF &&
            !(s->in_app && fid >= EF_ID && fid <= EF_RETURN))
            return sim_sw(resp, 0, SW_NOT_FOUND);
    } else {
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    }
    if (fid == CPU_FID_MF || fid == CPU_FID_DF) {
        memset(s, 0, sizeof *s); /* a DF selected anew: security state gone */
        s->in_app = fid == CPU_FID_DF;
    } else {
        s->ef = fid;
    }
    size_t n = a->p2 == 0x0C ? 0 : fcp(fid, resp);
    return sim_sw(resp, n, SW_OK);
}

/* The EF a READ/UPDATE BINARY means, and its offset; 0 or a status word. */
static unsigned target(struct sim_card *c, const struct apdu *a, unsigned *ef, size_t *off)
{
    struct cpu_vstate *s = c->state;
    if (!s->in_app)
        return SW_NO_EF;
    if (a->p1 & 0x80) {
        if ((a->p1 & 0x60) != 0)
            return SW_WRONG_P1P2;
        unsigned sfi = a->p1 & 0x1F;
        if (sfi < EF_ID || sfi > EF_RETURN)
            return SW_NOT_FOUND;
        s->ef = sfi;
        *off = a->p2;
    } else {
        if (s->ef == EF_NONE)
            return SW_NO_EF;
        *off = (size_t)a->p1 << 8 | a->p2;
    }
    *ef = s->ef;
    return 0;
}

static size_t do_read(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    unsigned ef, sw;
    size_t off;
    uint8_t buf[CPU_ID_LEN];
    if (a->lc != 0 || !a->has_le)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if ((sw = target(c, a, &ef, &off)) != 0)
        return sim_sw(resp, 0, sw);
    long size = load_ef(c, ef, buf);
    if (size < 0)
        return sim_sw(resp, 0, SW_MEMORY);
    if (off > (size_t)size)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    size_t n = (size_t)size - off;
    int short_read = 0;
    if (n > a->le)
        n = a->le;
    else if (n < a->le && a->le != 256)
        short_read = 1;
    memcpy(resp, buf + off, n);
    return sim_sw(resp, n, short_read ? SW_END_OF_FILE : SW_OK);
}

static size_t save(struct sim_card *c, uint8_t *resp)
{
    return sim_sw(resp, 0, image_save(&c->img) == 0 ? SW_OK : SW_MEMORY);
}

/* The purchase file: whole, MAC over a fresh challenge, counter growing. */
static size_t update_purchase(struct sim_card *c, const struct apdu *a, size_t off,
                              uint8_t *resp)
{
    struct cpu_vstate *s = c->state;
    uint8_t old[CPU_REC_LEN], in[CPU_MAC_IN_MAX], mac[CPU_MAC_LEN], serial[CPU_SERIAL_LEN];
    if (a->cla != CPU_CLA_MAC || !s->authenticated)
        return sim_sw(resp, 0, SW_SECURITY);
    if (!s->have_rnd)
        return sim_sw(resp, 0, SW_CONDITIONS);
    s->have_rnd = 0; /* one challenge, one write */
    if (off != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->lc != CPU_REC_LEN + CPU_MAC_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (image_get_bin(&c->img, "serial", serial, sizeof serial) != CPU_SERIAL_LEN ||
        load_ef(c, EF_PURCHASE, old) < 0)
        return sim_sw(resp, 0, SW_MEMORY);
    size_t n = cpu_mac_in_write(serial, s->rnd, a->header, a->data, CPU_REC_LEN, in);
    if (card_mac(c, in, n, mac) != 0)
        return sim_sw(resp, 0, SW_MEMORY);
    if (!cpu_equal(mac, a->data + CPU_REC_LEN, CPU_MAC_LEN))
        return sim_sw(resp, 0, SW_SM_WRONG);
    if (a->data[0] != CPU_LAYOUT_VERSION)
        return sim_sw(resp, 0, SW_WRONG_DATA);
    if (cpu_be32(a->data + 4) <= cpu_be32(old + 4))
        return sim_sw(resp, 0, SW_CONDITIONS); /* the purchase counter must grow */
    if (image_set_bin(&c->img, "purchase", a->data, CPU_REC_LEN) != 0)
        return sim_sw(resp, 0, SW_MEMORY);
    return save(c, resp);
}

/* The meter return file: whole, return counter growing, loaded not falling. */
static size_t update_return(struct sim_card *c, const struct apdu *a, size_t off, uint8_t *resp)
{
    uint8_t old[CPU_REC_LEN];
    if (a->cla != CPU_CLA)
        return sim_sw(resp, 0, SW_CLA);
    if (off != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->lc != CPU_REC_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (load_ef(c, EF_RETURN, old) < 0)
        return sim_sw(resp, 0, SW_MEMORY);
    if (a->data[0] != CPU_LAYOUT_VERSION)
        return sim_sw(resp, 0, SW_WRONG_DATA);
    if (cpu_be32(a->data + 8) <= cpu_be32(old + 8) || cpu_be32(a->data + 4) < cpu_be32(old + 4))
        return sim_sw(resp, 0, SW_CONDITIONS);
    if (image_set_bin(&c->img, "return", a->data, CPU_REC_LEN) != 0)
        return sim_sw(resp, 0, SW_MEMORY);
    return save(c, resp);
}

static size_t do_update(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    unsigned ef, sw;
    size_t off;
    if (a->lc == 0)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if ((sw = target(c, a, &ef, &off)) != 0)
        return sim_sw(resp, 0, sw);
    if (ef == EF_PURCHASE)
        return update_purchase(c, a, off, resp);
    if (ef == EF_RETURN)
        return update_return(c, a, off, resp);
    return sim_sw(resp, 0, SW_CONDITIONS); /* identification: read-only */
}

static size_t do_challenge(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    struct cpu_vstate *s = c->state;
    if (a->p1 || a->p2)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->lc != 0 || !a->has_le || a->le != CPU_RND_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    gcry_create_nonce(s->rnd, CPU_RND_LEN);
    s->have_rnd = 1;
    memcpy(resp, s->rnd, CPU_RND_LEN);
    return sim_sw(resp, CPU_RND_LEN, SW_OK);
}

static size_t do_internal(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    struct cpu_vstate *s = c->state;
    uint8_t serial[CPU_SERIAL_LEN], in[CPU_MAC_IN_MAX];
    if (!s->in_app)
        return sim_sw(resp, 0, SW_CONDITIONS);
    if (a->p1 || a->p2)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->lc != CPU_RND_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (image_get_bin(&c->img, "serial", serial, sizeof serial) != CPU_SERIAL_LEN)
        return sim_sw(resp, 0, SW_MEMORY);
    size_t n = cpu_mac_in_auth(CPU_DOM_INTERNAL, serial, a->data, in);
    if (card_mac(c, in, n, resp) != 0)
        return sim_sw(resp, 0, SW_MEMORY);
    return sim_sw(resp, CPU_MAC_LEN, SW_OK);
}

static size_t do_external(struct sim_card *c, const struct apdu *a, uint8_t *resp)
{
    struct cpu_vstate *s = c->state;
    uint8_t serial[CPU_SERIAL_LEN], in[CPU_MAC_IN_MAX], mac[CPU_MAC_LEN];
    uint64_t tries = 0, max = 0;
    if (!s->in_app)
        return sim_sw(resp, 0, SW_CONDITIONS);
    if (a->p1 || a->p2)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (a->lc != CPU_MAC_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (image_get_u64(&c->img, "tries", &tries) != 0 ||
        image_get_u64(&c->img, "tries_max", &max) != 0 ||
        image_get_bin(&c->img, "serial", serial, sizeof serial) != CPU_SERIAL_LEN)
        return sim_sw(resp, 0, SW_MEMORY);
    if (tries == 0)
        return sim_sw(resp, 0, SW_AUTH_BLOCKED);
    if (!s->have_rnd)
        return sim_sw(resp, 0, SW_CONDITIONS);
    s->have_rnd = 0;
    s->authenticated = 0;
    size_t n = cpu_mac_in_auth(CPU_DOM_EXTERNAL, serial, s->rnd, in);
    if (card_mac(c, in, n, mac) != 0)
        return sim_sw(resp, 0, SW_MEMORY);
    if (!cpu_equal(mac, a->data, CPU_MAC_LEN)) {
        tries--;
        if (image_set_u64(&c->img, "tries", tries) != 0 || image_save(&c->img) != 0)
            return sim_sw(resp, 0, SW_MEMORY);
        return sim_sw(resp, 0, SW_VERIFY_FAIL((unsigned)tries));
    }
    if (tries != max) {
        if (image_set_u64(&c->img, "tries", max) != 0 || image_save(&c->img) != 0)
            return sim_sw(resp, 0, SW_MEMORY);
    }
    s->authenticated = 1;
    return sim_sw(resp, 0, SW_OK);
}

static size_t cpu_apdu(struct sim_card *c, const uint8_t *cmd, size_t len,
                       uint8_t resp[SIM_RESP_MAX])
{
    struct apdu a;
    if (c->state == NULL)
        return sim_sw(resp, 0, SW_MEMORY);
    if (parse_apdu(cmd, len, &a) != 0)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (a.cla != CPU_CLA && !(a.cla == CPU_CLA_MAC && a.ins == CPU_INS_UPDATE_BINARY))
        return sim_sw(resp, 0, SW_CLA);
    switch (a.ins) {
    case CPU_INS_SELECT: return do_select(c, &a, resp);
    case CPU_INS_READ_BINARY: return do_read(c, &a, resp);
    case CPU_INS_UPDATE_BINARY: return do_update(c, &a, resp);
    case CPU_INS_GET_CHALLENGE: return do_challenge(c, &a, resp);
    case CPU_INS_INTERNAL_AUTH: return do_internal(c, &a, resp);
    case CPU_INS_EXTERNAL_AUTH: return do_external(c, &a, resp);
    default: return sim_sw(resp, 0, SW_INS);
    }
}

/* ---- personalisation and the meter ------------------------------------- */

static int hexbytes(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int number(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex && (s[2] == '\0' || !strchr("0123456789abcdefABCDEF", s[2])))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* name=value options; each name may be given once and must be known. */
struct opts {
    const char *const *names;
    const char *value[12];
};

static int parse_opts(struct opts *o, int argc, char **argv, FILE *err)
{
    memset(o->value, 0, sizeof o->value);
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        size_t k = 0, nl = eq ? (size_t)(eq - argv[i]) : 0;
        for (; o->names[k]; k++)
            if (eq && strlen(o->names[k]) == nl && strncmp(argv[i], o->names[k], nl) == 0)
                break;
        if (o->names[k] == NULL) {
            fprintf(err, "unknown option '%s'\n", argv[i]);
            return 1;
        }
        if (o->value[k]) {
            fprintf(err, "option %s given twice\n", o->names[k]);
            return 1;
        }
        o->value[k] = eq + 1;
    }
    return 0;
}

enum { P_SERIAL, P_METER, P_TYPE, P_ALG, P_MASTER, P_KEYVER, P_COUNTER, P_TRIES };
static const char *const pers_names[] = {"serial", "meter", "type", "alg", "master",
                                         "keyver", "counter", "tries", NULL};

static int cpu_personalise(const char *path, int argc, char **argv, FILE *err)
{
    struct opts o = {.names = pers_names};
    struct cpu_id id;
    struct cpu_purchase p;
    struct cpu_return r;
    uint8_t master[CARDKEY_LEN], key[CARDKEY_LEN], rec[CPU_ID_LEN], in[CPU_MAC_IN_MAX];
    uint64_t keyver = 1, counter = 0, tries = 3;
    memset(&id, 0, sizeof id);
    memset(&p, 0, sizeof p);
    memset(&r, 0, sizeof r);
    if (parse_opts(&o, argc, argv, err) != 0)
        return 1;
    const char *alg = o.value[P_ALG] ? o.value[P_ALG] : "aes";
    const char *type = o.value[P_TYPE] ? o.value[P_TYPE] : "CPU-E1";
    id.alg = (uint8_t)cardkey_alg_parse(alg);
    if (hexbytes(o.value[P_SERIAL], id.serial, CPU_SERIAL_LEN) != 0) {
        fprintf(err, "serial= must be %d hex digits\n", 2 * CPU_SERIAL_LEN);
        return 1;
    }
    if (!cpu_meter_valid(o.value[P_METER]) || !cpu_type_valid(type) || id.alg == 0) {
        fprintf(err, "meter= (1-15 of 0-9 A-Z a-z . _ -), type= (1-15 of A-Z 0-9 . _ -) and "
                     "alg=3des|aes|sm4 are needed\n");
        return 1;
    }
    if (hexbytes(o.value[P_MASTER], master, CARDKEY_LEN) != 0) {
        fprintf(err, "master= must be %d hex digits\n", 2 * CARDKEY_LEN);
        return 1;
    }
    if ((o.value[P_KEYVER] && number(o.value[P_KEYVER], 255, &keyver) != 0) ||
        (o.value[P_COUNTER] && number(o.value[P_COUNTER], UINT32_MAX, &counter) != 0) ||
        (o.value[P_TRIES] && (number(o.value[P_TRIES], 15, &tries) != 0 || tries == 0))) {
        fprintf(err, "keyver= is 0-255, counter= 0-4294967295, tries= 1-15\n");
        return 1;
    }
    snprintf(id.meter, sizeof id.meter, "%s", o.value[P_METER]);
    snprintf(id.type_code, sizeof id.type_code, "%s", type);
    id.key_version = (uint8_t)keyver;
    id.kind = 0; /* electricity, Wh */
    int rc = cardkey_derive(id.alg, master, id.serial, CPU_SERIAL_LEN, key);
    explicit_bzero(master, sizeof master);
    uint8_t full[CARDKEY_MAC_MAX];
    cpu_id_encode(&id, rec);
    if (rc == 0)
        rc = cardkey_cmac(id.alg, key, in, cpu_mac_in_id(rec, in), full);
    memcpy(id.mac, full, CPU_MAC_LEN);
    cpu_id_encode(&id, rec);

    struct sim_image *img = calloc(1, sizeof *img);
    if (img == NULL || rc != 0 || image_load(img, path, 1) != 0 || img->n != 0) {
        fprintf(err, "%s: %s\n", path,
                rc != 0 ? "key derivation failed"
                        : img && img->n ? "exists; a card is personalised once" : "cannot create");
        explicit_bzero(key, sizeof key);
        free(img);
        return 1;
    }
    uint8_t prec[CPU_REC_LEN], rrec[CPU_REC_LEN];
    p.counter = (uint32_t)counter;
    cpu_purchase_encode(&p, prec);
    cpu_return_encode(&r, rrec);
    rc = image_set(img, "card", "cpu") | image_set_bin(img, "serial", id.serial, CPU_SERIAL_LEN) |
         image_set(img, "alg", alg) | image_set_bin(img, "key", key, CARDKEY_LEN) |
         image_set_bin(img, "id", rec, CPU_ID_LEN) | image_set_bin(img, "purchase", prec, CPU_REC_LEN) |
         image_set_bin(img, "return", rrec, CPU_REC_LEN) | image_set_u64(img, "tries", tries) |
         image_set_u64(img, "tries_max", tries);
    explicit_bzero(key, sizeof key);
    if (rc != 0 || image_save(img) != 0) {
        fprintf(err, "%s: cannot write the card image\n", path);
        explicit_bzero(img, sizeof *img);
        free(img);
        return 1;
    }
    explicit_bzero(img, sizeof *img);
    free(img);
    return 0;
}

enum { M_KEY, M_MASTER, M_USE, M_TAMPER, M_STATE, M_TIME };
static const char *const meter_names[] = {"meterkey", "metermaster", "use", "tamper",
                                          "state", "time", NULL};

/* The meter's own memory: last purchase counter loaded, return counter,
   credit left. From state=FILE, else from the card's return file. */
struct meter_mem {
    uint64_t loaded, ret_counter, credit;
};

static int record_mac(int alg, const uint8_t km[CARDKEY_LEN], uint8_t dom,
                      const uint8_t serial[CPU_SERIAL_LEN], const uint8_t rec[CPU_REC_LEN],
                      uint8_t mac[CPU_MAC_LEN])
{
    uint8_t in[CPU_MAC_IN_MAX], full[CARDKEY_MAC_MAX];
    if (cardkey_cmac(alg, km, in, cpu_mac_in_record(dom, serial, rec, in), full) != 0)
        return -1;
    memcpy(mac, full, CPU_MAC_LEN);
    return 0;
}

static int meter_run(struct sim_image *img, struct sim_image *mem_img, const struct opts *o,
                     FILE *out)
{
    struct cpu_id id;
    struct cpu_purchase p;
    struct cpu_return r;
    uint8_t idb[CPU_ID_LEN], pb[CPU_REC_LEN], rb[CPU_REC_LEN], km[CARDKEY_LEN], mac[CPU_MAC_LEN];
    uint64_t use = 0, tamper = 0, now = 0;
    if (image_get_bin(img, "id", idb, sizeof idb) != CPU_ID_LEN ||
        cpu_id_parse(idb, CPU_ID_LEN, &id) != CPU_PARSE_OK ||
        image_get_bin(img, "purchase", pb, sizeof pb) != CPU_REC_LEN ||
        cpu_purchase_parse(pb, CPU_REC_LEN, &p) != CPU_PARSE_OK ||
        image_get_bin(img, "return", rb, sizeof rb) != CPU_REC_LEN ||
        cpu_return_parse(rb, CPU_REC_LEN, &r) != CPU_PARSE_OK) {
        fprintf(out, "meter: not a CPU card of this kind (unreadable files)\n");
        return 1;
    }
    if ((o->value[M_USE] && number(o->value[M_USE], CPU_CREDIT_MAX, &use) != 0) ||
        (o->value[M_TAMPER] && number(o->value[M_TAMPER], UINT32_MAX, &tamper) != 0) ||
        (o->value[M_TIME] && number(o->value[M_TIME], INT64_MAX, &now) != 0)) {
        fprintf(out, "meter: use= (Wh), tamper= (bits) and time= (Unix seconds) are numbers\n");
        return 1;
    }
    if (o->value[M_KEY]) {
        if (hexbytes(o->value[M_KEY], km, CARDKEY_LEN) != 0) {
            fprintf(out, "meter: meterkey= must be 32 hex digits\n");
            return 1;
        }
    } else {
        uint8_t master[CARDKEY_LEN];
        int bad = hexbytes(o->value[M_MASTER], master, CARDKEY_LEN) != 0 ||
                  cardkey_derive(id.alg, master, (const uint8_t *)id.meter, strlen(id.meter), km) != 0;
        explicit_bzero(master, sizeof master);
        if (bad) {
            fprintf(out, "meter: meterkey= or metermaster= (32 hex digits) is needed\n");
            return 1;
        }
    }
    struct meter_mem m = {0, 0, 0};
    if (mem_img && mem_img->n) {
        if (image_get_u64(mem_img, "loaded", &m.loaded) || image_get_u64(mem_img, "returns", &m.ret_counter) ||
            image_get_u64(mem_img, "credit", &m.credit)) {
            fprintf(out, "meter: the meter state file is damaged\n");
            return 1;
        }
    } else if (r.status == 1 && record_mac(id.alg, km, CPU_DOM_RETURN, id.serial, rb, mac) == 0 &&
               cpu_equal(mac, r.mac, CPU_MAC_LEN)) {
        m.loaded = r.loaded;
        m.ret_counter = r.ret_counter;
        m.credit = r.remaining;
    }
    if (p.status != CPU_PURCHASE_NONE) {
        if (record_mac(id.alg, km, CPU_DOM_PURCHASE, id.serial, pb, mac) != 0 ||
            !cpu_equal(mac, p.mac, CPU_MAC_LEN)) {
            explicit_bzero(km, sizeof km);
            fprintf(out, "meter: purchase %" PRIu32 " refused: its MAC is wrong (not from a "
                         "kiosk with this meter's key, or altered)\n", p.counter);
            return 1;
        }
        if (p.counter <= m.loaded) {
            fprintf(out, "meter: purchase %" PRIu32 " already loaded (last loaded %" PRIu64 ")\n",
                    p.counter, m.loaded);
        } else {
            if (p.status == CPU_PURCHASE_CREDIT) {
                m.credit += p.total;
                fprintf(out, "meter: loaded %" PRIu64 " Wh (purchase %" PRIu32 ")\n", p.total,
                        p.counter);
            } else {
                fprintf(out, "meter: purchase %" PRIu32 " was cancelled; nothing loaded\n",
                        p.counter);
            }
            m.loaded = p.counter;
        }
    }
    m.credit -= use < m.credit ? use : m.credit;
    m.ret_counter++;
    struct cpu_return nr = {.status = 1, .loaded = (uint32_t)m.loaded,
                            .ret_counter = (uint32_t)m.ret_counter, .tamper = (uint32_t)tamper,
                            .remaining = m.credit, .time = now};
    cpu_return_encode(&nr, rb);
    int rc = record_mac(id.alg, km, CPU_DOM_RETURN, id.serial, rb, nr.mac);
    explicit_bzero(km, sizeof km);
    cpu_return_encode(&nr, rb);
    if (rc != 0 || image_set_bin(img, "return", rb, CPU_REC_LEN) != 0 || image_save(img) != 0) {
        fprintf(out, "meter: cannot write the card\n");
        return 1;
    }
    if (mem_img && (image_set_u64(mem_img, "loaded", m.loaded) ||
                    image_set_u64(mem_img, "returns", m.ret_counter) ||
                    image_set_u64(mem_img, "credit", m.credit) || image_save(mem_img))) {
        fprintf(out, "meter: cannot write the meter state file\n");
        return 1;
    }
    fprintf(out, "meter: remaining %" PRIu64 " Wh, tamper 0x%" PRIx64 ", return %" PRIu64 "\n",
            m.credit, tamper, m.ret_counter);
    return 0;
}

static int cpu_meter(const char *path, int argc, char **argv, FILE *out)
{
    struct opts o = {.names = meter_names};
    if (parse_opts(&o, argc, argv, out) != 0)
        return 1;
    struct sim_image *img = calloc(2, sizeof *img);
    if (img == NULL)
        return 1;
    int rc = 1;
    if (image_load(&img[0], path, 0) != 0)
        fprintf(out, "meter: cannot read the card image %s\n", path);
    else if (o.value[M_STATE] && image_load(&img[1], o.value[M_STATE], 1) != 0)
        fprintf(out, "meter: cannot read the meter state %s\n", o.value[M_STATE]);
    else
        rc = meter_run(&img[0], o.value[M_STATE] ? &img[1] : NULL, &o, out);
    explicit_bzero(img, 2 * sizeof *img);
    free(img);
    return rc;
}

const struct sim_card_ops sim_card_cpu = {
    .type = "cpu",
    .help = "serial=16 hex digits (the card serial)\n"
            "meter=METER NUMBER (1-15 of 0-9 A-Z a-z . _ -)\n"
            "type=TYPE CODE (default CPU-E1)\n"
            "alg=3des|aes|sm4 (default aes)\n"
            "master=32 hex digits (the card master key; the card keeps only its derived key)\n"
            "keyver=0-255 (key version, default 1)\n"
            "counter=N (purchase counter to start from, default 0)\n"
            "tries=1-15 (EXTERNAL AUTHENTICATE tries, default 3)\n"
            "meter: meterkey=HEX or metermaster=HEX, use=WH, tamper=BITS, state=FILE, time=UNIX\n",
    .personalise = cpu_personalise,
    .reset = cpu_reset,
    .atr = card_atr,
    .apdu = cpu_apdu,
    .release = cpu_release,
    .meter = cpu_meter,
};
