/*
 * card_sam.c — the PSAM of docs/cards.md, as the simulator plays it: master
 * keys in numbered slots (1-15), each with its algorithm and usage, and the
 * five commands of class 80 (DERIVE-MAC, DERIVE-ENCRYPT, DERIVE-DECRYPT,
 * DERIVE-EXPORT, GET-INFO). The derivation and MACs are drivers/cardkey's,
 * the same code the drivers use in key store mode.
 *
 * Usage byte (GET-INFO): 01 MAC, 02 encrypt, 04 decrypt, 08 export.
 * Personalised with `cardsim new sam IMAGE slot1=aes:<32 hex> ...`; a slot
 * may end in :mac, :enc, :dec (only those uses; default all three) and
 * :export (also DERIVE-EXPORT), e.g. slot3=aes:<hex>:mac:export.
 * Image fields: card=sam, slotN=ALG:KEYHEX:USAGEHEX.
 */
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardkey/cardkey.h"
#include "card.h"

#define SAM_CLA 0x80
#define SAM_INS_MAC 0x10
#define SAM_INS_ENCRYPT 0x12
#define SAM_INS_DECRYPT 0x14
#define SAM_INS_EXPORT 0x16
#define SAM_INS_INFO 0x20
#define SAM_SLOTS 15
#define SW_NO_SLOT 0x6A88

#define USE_MAC 0x01
#define USE_ENC 0x02
#define USE_DEC 0x04
#define USE_EXPORT 0x08

/* 3B 8B 80 01, historical bytes 80 59 "UVEND SAM", TCK. */
static const uint8_t sam_atr_bytes[16] = {0x3B, 0x8B, 0x80, 0x01, 0x80, 0x59, 'U', 'V',
                                          'E',  'N',  'D',  ' ',  'S',  'A',  'M', 0xE0};

struct slot {
    int alg;
    uint8_t usage;
    uint8_t key[CARDKEY_LEN];
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hexbytes(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

/* "alg:keyhex:usagehex" as the image keeps it. 0, 1 if absent, -1 damaged. */
static int get_slot(const struct sim_image *img, unsigned n, struct slot *s)
{
    char name[16];
    snprintf(name, sizeof name, "slot%u", n);
    const char *v = image_get(img, name);
    memset(s, 0, sizeof *s);
    if (v == NULL)
        return 1;
    const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    char alg[8];
    if (c1 == NULL || c2 == NULL || (size_t)(c1 - v) >= sizeof alg)
        return -1;
    memcpy(alg, v, (size_t)(c1 - v));
    alg[c1 - v] = '\0';
    s->alg = cardkey_alg_parse(alg);
    if (s->alg == 0 || hexbytes(c1 + 1, (size_t)(c2 - c1 - 1), s->key, CARDKEY_LEN) != 0 ||
        hexbytes(c2 + 1, strlen(c2 + 1), &s->usage, 1) != 0)
        return -1;
    return 0;
}

static int sam_reset(struct sim_card *c)
{
    struct slot s;
    c->state = NULL;
    for (unsigned i = 1; i <= SAM_SLOTS; i++)
        if (get_slot(&c->img, i, &s) < 0)
            return -1;
    explicit_bzero(&s, sizeof s);
    return 0;
}

static size_t sam_atr(const struct sim_card *c, uint8_t out[SIM_ATR_MAX])
{
    (void)c;
    memcpy(out, sam_atr_bytes, sizeof sam_atr_bytes);
    return sizeof sam_atr_bytes;
}

static void sam_release(struct sim_card *c)
{
    c->state = NULL;
}

static size_t info(const struct sim_card *c, uint8_t *resp)
{
    size_t n = 0;
    struct slot s;
    for (unsigned i = 1; i <= SAM_SLOTS; i++) {
        if (get_slot(&c->img, i, &s) != 0)
            continue;
        resp[n++] = (uint8_t)i;
        resp[n++] = (uint8_t)s.alg;
        resp[n++] = s.usage;
    }
    explicit_bzero(&s, sizeof s);
    return sim_sw(resp, n, SW_OK);
}

static size_t sam_apdu(struct sim_card *c, const uint8_t *cmd, size_t len,
                       uint8_t resp[SIM_RESP_MAX])
{
    if (len < 4)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    uint8_t ins = cmd[1], p1 = cmd[2], p2 = cmd[3];
    size_t lc = 0;
    const uint8_t *data = NULL;
    if (len > 5) {
        lc = cmd[4];
        if (lc == 0 || (len != 5 + lc && len != 6 + lc))
            return sim_sw(resp, 0, SW_WRONG_LENGTH);
        data = cmd + 5;
    }
    if (cmd[0] != SAM_CLA)
        return sim_sw(resp, 0, SW_CLA);
    if (ins != SAM_INS_MAC && ins != SAM_INS_ENCRYPT && ins != SAM_INS_DECRYPT &&
        ins != SAM_INS_EXPORT && ins != SAM_INS_INFO)
        return sim_sw(resp, 0, SW_INS);
    if (p2 != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (ins == SAM_INS_INFO) {
        if (p1 != 0)
            return sim_sw(resp, 0, SW_WRONG_P1P2);
        if (lc != 0)
            return sim_sw(resp, 0, SW_WRONG_LENGTH);
        return info(c, resp);
    }
    struct slot s;
    if (p1 < 1 || p1 > SAM_SLOTS || get_slot(&c->img, p1, &s) != 0)
        return sim_sw(resp, 0, SW_NO_SLOT);
    /* the diversifier: Ld || serial */
    if (lc < 1 || (size_t)data[0] + 1 > lc) {
        explicit_bzero(&s, sizeof s);
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    }
    size_t ld = data[0], mlen = lc - 1 - ld;
    const uint8_t *serial = data + 1, *msg = data + 1 + ld;
    size_t bs = cardkey_block(s.alg);
    unsigned sw = SW_OK;
    if (ld == 0 || ld > CARDKEY_SERIAL_MAX)
        sw = SW_WRONG_DATA;
    else if ((ins == SAM_INS_MAC && !(s.usage & USE_MAC)) ||
             (ins == SAM_INS_ENCRYPT && !(s.usage & USE_ENC)) ||
             (ins == SAM_INS_DECRYPT && !(s.usage & USE_DEC)) ||
             (ins == SAM_INS_EXPORT && !(s.usage & USE_EXPORT)))
        sw = SW_CONDITIONS;
    else if (((ins == SAM_INS_ENCRYPT || ins == SAM_INS_DECRYPT) && (mlen == 0 || mlen % bs)) ||
             (ins == SAM_INS_EXPORT && mlen != 0))
        sw = SW_WRONG_LENGTH;
    if (sw != SW_OK) {
        explicit_bzero(&s, sizeof s);
        return sim_sw(resp, 0, sw);
    }
    uint8_t key[CARDKEY_LEN];
    size_t n = 0;
    int alg = s.alg, rc = cardkey_derive(alg, s.key, serial, ld, key);
    explicit_bzero(&s, sizeof s);
    if (rc == 0) {
        switch (ins) {
        case SAM_INS_MAC:
            rc = cardkey_cmac(alg, key, msg, mlen, resp);
            n = cardkey_block(alg);
            break;
        case SAM_INS_ENCRYPT:
        case SAM_INS_DECRYPT:
            memcpy(resp, msg, mlen);
            rc = cardkey_ecb(alg, key, ins == SAM_INS_ENCRYPT, resp, mlen);
            n = mlen;
            break;
        default: /* export */
            memcpy(resp, key, CARDKEY_LEN);
            n = CARDKEY_LEN;
            break;
        }
    }
    explicit_bzero(key, sizeof key);
    if (rc != 0) {
        explicit_bzero(resp, n);
        return sim_sw(resp, 0, SW_WRONG_DATA);
    }
    return sim_sw(resp, n, SW_OK);
}

/* slotN=ALG:HEX[:mac][:enc][:dec][:export] */
static int slot_option(struct sim_image *img, const char *name, const char *v, FILE *err)
{
    char *end;
    unsigned long n = strtoul(name + 4, &end, 10);
    if (strncmp(name, "slot", 4) != 0 || name[4] < '1' || name[4] > '9' || *end != '=' || n < 1 ||
        n > SAM_SLOTS) {
        fprintf(err, "unknown option '%s' (slot1= ... slot15=)\n", name);
        return 1;
    }
    char copy[128], *save = NULL;
    if (strlen(v) >= sizeof copy) {
        fprintf(err, "slot%lu: too long\n", n);
        return 1;
    }
    strcpy(copy, v);
    const char *alg = strtok_r(copy, ":", &save), *hex = strtok_r(NULL, ":", &save);
    uint8_t key[CARDKEY_LEN];
    uint8_t use = 0, export = 0;
    int a = cardkey_alg_parse(alg);
    if (a == 0 || hex == NULL || hexbytes(hex, strlen(hex), key, CARDKEY_LEN) != 0) {
        fprintf(err, "slot%lu=ALG:KEY needs alg 3des, aes or sm4 and 32 hex digits\n", n);
        explicit_bzero(copy, sizeof copy);
        return 1;
    }
    for (const char *u; (u = strtok_r(NULL, ":", &save)) != NULL;) {
        if (strcmp(u, "mac") == 0)
            use |= USE_MAC;
        else if (strcmp(u, "enc") == 0)
            use |= USE_ENC;
        else if (strcmp(u, "dec") == 0)
            use |= USE_DEC;
        else if (strcmp(u, "export") == 0)
            export = USE_EXPORT;
        else {
            fprintf(err, "slot%lu: usage '%s' is not mac, enc, dec or export\n", n, u);
            explicit_bzero(copy, sizeof copy);
            explicit_bzero(key, sizeof key);
            return 1;
        }
    }
    if (use == 0)
        use = USE_MAC | USE_ENC | USE_DEC;
    char field[16], value[64];
    snprintf(field, sizeof field, "slot%lu", n);
    if (image_get(img, field) != NULL) {
        fprintf(err, "%s given twice\n", field);
        return 1;
    }
    size_t o = (size_t)snprintf(value, sizeof value, "%s:", cardkey_alg_name(a));
    for (size_t i = 0; i < CARDKEY_LEN; i++)
        o += (size_t)snprintf(value + o, sizeof value - o, "%02X", key[i]);
    snprintf(value + o, sizeof value - o, ":%02X", (unsigned)(use | export));
    int rc = image_set(img, field, value);
    explicit_bzero(copy, sizeof copy);
    explicit_bzero(key, sizeof key);
    explicit_bzero(value, sizeof value);
    return rc == 0 ? 0 : 1;
}

static int sam_personalise(const char *path, int argc, char **argv, FILE *err)
{
    struct sim_image *img = calloc(1, sizeof *img);
    int rc = 1;
    if (img == NULL)
        return 1;
    if (image_load(img, path, 1) != 0 || img->n != 0) {
        fprintf(err, "%s: %s\n", path, img->n ? "exists; a SAM is personalised once" : "cannot create");
        goto out;
    }
    if (image_set(img, "card", "sam") != 0)
        goto out;
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(err, "unknown option '%s'\n", argv[i]);
            goto out;
        }
        if (slot_option(img, argv[i], eq + 1, err) != 0)
            goto out;
    }
    if (img->n < 2) {
        fprintf(err, "a SAM needs at least one key slot (slot1=aes:<32 hex>)\n");
        goto out;
    }
    if (image_save(img) != 0)
        fprintf(err, "%s: cannot write the SAM image\n", path);
    else
        rc = 0;
out:
    explicit_bzero(img, sizeof *img);
    free(img);
    return rc;
}

const struct sim_card_ops sim_card_sam = {
    .type = "sam",
    .help = "slotN=ALG:KEY[:mac][:enc][:dec][:export] (N 1-15; ALG 3des|aes|sm4; KEY 32 hex "
            "digits, the master key; uses default to mac, enc and dec; export also allows "
            "DERIVE-EXPORT)\n",
    .personalise = sam_personalise,
    .reset = sam_reset,
    .atr = sam_atr,
    .apdu = sam_apdu,
    .release = sam_release,
    .meter = NULL,
};
