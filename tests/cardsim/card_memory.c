/*
 * card_memory.c — a plain memory card: 256 bytes of EEPROM with no
 * protection of its own, reached with the reader's storage-card commands
 * (PC/SC part 3): READ BINARY FF B0 addrH addrL Le, UPDATE BINARY
 * FF D6 addrH addrL Lc data. Each UPDATE BINARY is saved whole (one page
 * write) before it is answered. The layout the kiosk and the meter put on it
 * is drivers/memcard/memcard_card.h.
 *
 * Image fields: mem (the 256 bytes, hex), atr (optional: another ATR, to
 * play a card no driver knows).
 *
 * Personalise (cardsim new memory IMAGE ...), as a card issuing station:
 *   serial=HEX (7 bytes; default random)  meter=NUMBER  type=CODE
 *   key=HEX (the utility's 16-byte master key)  alg=aes|3des|sm4 (default aes)
 *   blank=1 (an unpersonalised card: all FF)  atr=HEX
 * The meter (cardsim meter memory IMAGE key=HEX [alg=] [use=WH] [tamper=BITS]
 * [state=FILE]) checks the card and its credit record, takes a credit it has
 * not taken yet (its own memory of the last one taken is FILE, when given:
 * a replayed record is refused), uses `use` Wh, and writes back its report:
 * remaining credit and tamper bits, under a MAC.
 */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/memcard/memcard_card.h"
#include "card.h"

static int unhex(const char *h, uint8_t *out, size_t n)
{
    if (h == NULL || strlen(h) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = h[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                               : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return 0;
}

/* name=value options: the value of name, or NULL. */
static const char *arg(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
            return argv[i] + n + 1;
    return NULL;
}

static int known_args(int argc, char **argv, const char *const *names, FILE *err)
{
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        int ok = 0;
        for (size_t k = 0; eq && names[k]; k++)
            ok |= strlen(names[k]) == (size_t)(eq - argv[i]) &&
                  strncmp(argv[i], names[k], (size_t)(eq - argv[i])) == 0;
        if (!ok) {
            fprintf(err, "cardsim memory: unknown option %s\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int load_mem(const struct sim_image *img, uint8_t mem[MC_SIZE])
{
    return image_get_bin(img, "mem", mem, MC_SIZE) == MC_SIZE ? 0 : -1;
}

/* The master key and algorithm from key=, alg=; the card key for serial. */
static int key_for(int argc, char **argv, const uint8_t serial[MC_SERIAL_LEN], int *alg,
                   uint8_t key[CARDKEY_LEN], FILE *err)
{
    uint8_t master[CARDKEY_LEN];
    const char *a = arg(argc, argv, "alg");
    *alg = a ? cardkey_alg_parse(a) : CARDKEY_AES;
    if (*alg == 0 || unhex(arg(argc, argv, "key"), master, sizeof master) != 0) {
        fprintf(err, "cardsim memory: need key=32 hex digits and alg=aes|3des|sm4\n");
        return -1;
    }
    return cardkey_derive(*alg, master, serial, MC_SERIAL_LEN, key);
}

static int put_mac(int alg, const uint8_t key[CARDKEY_LEN], uint8_t *area,
                   size_t (*input)(const uint8_t *, uint8_t *), size_t at)
{
    uint8_t in[MC_MAC_INPUT_MAX], mac[CARDKEY_MAC_MAX];
    size_t n = input(area, in);
    if (cardkey_cmac(alg, key, in, n, mac) != 0)
        return -1;
    memcpy(area + at, mac, MC_MAC_LEN);
    return 0;
}

static int mem_personalise(const char *path, int argc, char **argv, FILE *err)
{
    static const char *const names[] = {"serial", "meter", "type", "key", "alg", "blank", "atr",
                                        NULL};
    struct sim_image img;
    uint8_t mem[MC_SIZE], atr[SIM_ATR_MAX], key[CARDKEY_LEN];
    int alg;
    if (known_args(argc, argv, names, err) != 0 || image_load(&img, path, 1) != 0)
        return 1;
    img.n = 0; /* a new card */
    const char *a = arg(argc, argv, "atr");
    if (a && (strlen(a) % 2 || strlen(a) / 2 > SIM_ATR_MAX || unhex(a, atr, strlen(a) / 2) != 0 ||
              image_set(&img, "atr", a) != 0)) {
        fprintf(err, "cardsim memory: atr= needs 1..%d bytes of hex\n", SIM_ATR_MAX);
        return 1;
    }
    memset(mem, 0xFF, sizeof mem);
    if (arg(argc, argv, "blank") == NULL) {
        struct mc_ident id;
        memset(&id, 0, sizeof id);
        memset(mem, 0, sizeof mem);
        if (arg(argc, argv, "serial") == NULL)
            gcry_randomize(id.serial, sizeof id.serial, GCRY_STRONG_RANDOM);
        else if (unhex(arg(argc, argv, "serial"), id.serial, sizeof id.serial) != 0) {
            fprintf(err, "cardsim memory: serial= needs 14 hex digits\n");
            return 1;
        }
        const char *m = arg(argc, argv, "meter"), *t = arg(argc, argv, "type");
        if (!mc_meter_number_ok(m) || !mc_type_code_ok(t)) {
            fprintf(err, "cardsim memory: need meter=NUMBER (1-16 of A-Z a-z 0-9 . _ -) and "
                         "type=CODE (1-15 of A-Z 0-9 . _ -)\n");
            return 1;
        }
        snprintf(id.meter, sizeof id.meter, "%s", m);
        snprintf(id.type_code, sizeof id.type_code, "%s", t);
        if (key_for(argc, argv, id.serial, &alg, key, err) != 0)
            return 1;
        struct mc_credit cr;
        memset(&cr, 0, sizeof cr);
        mc_ident_build(&id, mem + MC_IDENT);
        mc_credit_build(&cr, mem + MC_CREDIT);
        if (put_mac(alg, key, mem + MC_IDENT, mc_ident_mac_input, MC_IDENT_MAC_AT) != 0 ||
            put_mac(alg, key, mem + MC_CREDIT, mc_credit_mac_input, MC_RECORD_MAC_AT) != 0)
            return 1;
    }
    if (image_set(&img, "type", "memory") != 0 || image_set_bin(&img, "mem", mem, sizeof mem) != 0 ||
        image_save(&img) != 0) {
        fprintf(err, "cardsim memory: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int mem_reset(struct sim_card *c)
{
    uint8_t mem[MC_SIZE];
    return load_mem(&c->img, mem); /* no volatile state; the image must be whole */
}

static size_t mem_atr(const struct sim_card *c, uint8_t out[SIM_ATR_MAX])
{
    long n = image_get_bin(&c->img, "atr", out, SIM_ATR_MAX);
    if (n > 0)
        return (size_t)n;
    unhex(MC_ATR_HEX, out, MC_ATR_LEN);
    return MC_ATR_LEN;
}

static size_t mem_apdu(struct sim_card *c, const uint8_t *cmd, size_t len, uint8_t resp[SIM_RESP_MAX])
{
    uint8_t mem[MC_SIZE];
    if (len < 4)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (cmd[0] != 0xFF)
        return sim_sw(resp, 0, SW_CLA);
    if (load_mem(&c->img, mem) != 0)
        return sim_sw(resp, 0, 0x6581); /* memory failure */
    size_t addr = (size_t)cmd[2] << 8 | cmd[3];
    if (cmd[1] == 0xB0) {
        if (len != 5)
            return sim_sw(resp, 0, SW_WRONG_LENGTH);
        size_t want = cmd[4] ? cmd[4] : 256;
        if (addr >= MC_SIZE)
            return sim_sw(resp, 0, SW_WRONG_P1P2);
        size_t n = addr + want <= MC_SIZE ? want : MC_SIZE - addr;
        memcpy(resp, mem + addr, n);
        return sim_sw(resp, n, n == want ? SW_OK : 0x6282); /* end reached before Le */
    }
    if (cmd[1] == 0xD6) {
        if (len < 6 || cmd[4] == 0 || len != 5 + (size_t)cmd[4])
            return sim_sw(resp, 0, SW_WRONG_LENGTH);
        if (addr + cmd[4] > MC_SIZE)
            return sim_sw(resp, 0, SW_WRONG_P1P2);
        memcpy(mem + addr, cmd + 5, cmd[4]);
        if (image_set_bin(&c->img, "mem", mem, sizeof mem) != 0 || image_save(&c->img) != 0)
            return sim_sw(resp, 0, 0x6581);
        return sim_sw(resp, 0, SW_OK);
    }
    return sim_sw(resp, 0, SW_INS);
}

static void mem_release(struct sim_card *c)
{
    (void)c;
}

static int mem_meter(const char *path, int argc, char **argv, FILE *out)
{
    static const char *const names[] = {"key", "alg", "use", "tamper", "state", NULL};
    struct sim_image img, ms;
    uint8_t mem[MC_SIZE], key[CARDKEY_LEN], in[MC_MAC_INPUT_MAX];
    struct mc_ident id;
    struct mc_credit cr;
    struct mc_meter mr;
    int alg;
    if (known_args(argc, argv, names, out) != 0)
        return 2;
    if (image_load(&img, path, 0) != 0 || load_mem(&img, mem) != 0) {
        fprintf(out, "meter: cannot read the card %s\n", path);
        return 1;
    }
    if (mc_ident_parse(mem + MC_IDENT, MC_IDENT_LEN, &id) != MC_OK) {
        fprintf(out, "meter: not a card of this meter\n");
        return 1;
    }
    if (key_for(argc, argv, id.serial, &alg, key, out) != 0)
        return 2;
    if (!cardkey_cmac_check(alg, key, in, mc_ident_mac_input(mem + MC_IDENT, in), id.mac,
                            MC_MAC_LEN)) {
        fprintf(out, "meter: the card is not authentic: refused\n");
        return 1;
    }
    if (mc_credit_parse(mem + MC_CREDIT, MC_CREDIT_LEN, &cr) != MC_OK ||
        !cardkey_cmac_check(alg, key, in, mc_credit_mac_input(mem + MC_CREDIT, in), cr.mac,
                            MC_MAC_LEN)) {
        fprintf(out, "meter: the credit record's MAC is wrong: refused\n");
        return 1;
    }
    if (mc_meter_parse(mem + MC_METER, MC_METER_LEN, &mr) != MC_OK ||
        (mr.present && !cardkey_cmac_check(alg, key, in, mc_meter_mac_input(mem + MC_METER, in),
                                           mr.mac, MC_MAC_LEN)))
        memset(&mr, 0, sizeof mr); /* a report the meter cannot read: it starts again */
    /* the meter's own memory of the last credit it took outlives any card */
    const char *state = arg(argc, argv, "state");
    uint64_t last = mr.present ? mr.loaded : 0, remaining = mr.remaining, v;
    if (state && image_load(&ms, state, 1) == 0) {
        if (image_get_u64(&ms, "loaded", &v) == 0 && v > last)
            last = v;
        if (image_get_u64(&ms, "remaining", &v) == 0)
            remaining = v;
    } else if (state) {
        fprintf(out, "meter: cannot read its state %s\n", state);
        return 1;
    }
    if (cr.amount && cr.sequence < last) {
        fprintf(out, "meter: purchase %llu is older than purchase %llu it took: refused (replay)\n",
                (unsigned long long)cr.sequence, (unsigned long long)last);
        return 1;
    }
    if (cr.amount && cr.sequence > last) {
        remaining += cr.amount;
        last = cr.sequence;
        fprintf(out, "meter: took %llu Wh of purchase %llu\n", (unsigned long long)cr.amount,
                (unsigned long long)cr.sequence);
    } else {
        fprintf(out, "meter: no new credit on the card\n");
    }
    const char *use = arg(argc, argv, "use"), *tamper = arg(argc, argv, "tamper");
    if (use)
        remaining = strtoull(use, NULL, 10) >= remaining ? 0 : remaining - strtoull(use, NULL, 10);
    mr.present = 1;
    mr.flags = 1;
    mr.loaded = last;
    mr.remaining = remaining;
    if (tamper)
        mr.tamper = (uint32_t)strtoul(tamper, NULL, 0);
    mc_meter_build(&mr, mem + MC_METER);
    if (put_mac(alg, key, mem + MC_METER, mc_meter_mac_input, MC_RECORD_MAC_AT) != 0 ||
        image_set_bin(&img, "mem", mem, sizeof mem) != 0 || image_save(&img) != 0 ||
        (state && (image_set_u64(&ms, "loaded", last) != 0 ||
                   image_set_u64(&ms, "remaining", remaining) != 0 || image_save(&ms) != 0))) {
        fprintf(out, "meter: cannot write the card\n");
        return 1;
    }
    fprintf(out, "meter: remaining %llu Wh, tamper 0x%X\n", (unsigned long long)remaining,
            mr.tamper);
    return 0;
}

const struct sim_card_ops sim_card_memory = {
    .type = "memory",
    .help = "    new: serial=HEX14 meter=N type=CODE key=HEX32 [alg=aes|3des|sm4] [blank=1]"
            " [atr=HEX]\n"
            "    meter: key=HEX32 [alg=] [use=WH] [tamper=BITS] [state=FILE]\n",
    .personalise = mem_personalise,
    .reset = mem_reset,
    .atr = mem_atr,
    .apdu = mem_apdu,
    .release = mem_release,
    .meter = mem_meter,
};
