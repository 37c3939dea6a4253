/*
 * card_logic.c — a logic-encryption memory card in the style of the
 * Infineon SLE4442, reached as a PC/SC storage card.
 *
 * The chip
 *   256 bytes of EEPROM, always readable. Bytes 0..31 each have a protection
 *   bit: once set (at personalisation) the byte never changes. Writing needs
 *   the 3-byte programmable security code (PSC) presented since the last
 *   reset. An error counter starts at 3; every wrong PSC takes one try, a
 *   right one gives all 3 back; at 0 the card is locked for good: the PSC can
 *   never be presented again, so nothing is ever written again.
 *
 * Commands (class FF: the reader's pseudo-APDUs for storage cards, PC/SC
 * Interoperability Specification part 3, v2.01.09, 3.2.2.1: READ BINARY
 * 3.2.2.1.8, UPDATE BINARY 3.2.2.1.9, VERIFY 3.2.2.1.7; VERIFY without data
 * and CHANGE REFERENCE DATA as ISO/IEC 7816-4 defines them)
 *   FF B0 00 AA Le        READ BINARY, Le bytes from address AA (Le 00 =
 *                         256); past the end: 6Cxx with xx the bytes left
 *   FF D6 00 AA Lc data   UPDATE BINARY; 6982 without the PSC, 6986 on a
 *                         protected byte, 6B00 past the end
 *   FF 20 00 00           VERIFY without data: the tries left, 63Cx (x = 1..3),
 *                         9000 once the PSC has been presented, 6983 locked
 *   FF 20 00 00 03 PSC    VERIFY: present the PSC; 9000, 63Cx (wrong, x tries
 *                         left, 63C0 the card is now locked), 6983 locked
 *   FF 24 01 00 03 PSC    CHANGE REFERENCE DATA (P1 01: the new code only, the
 *                         current one presented in this session); 6982 without
 *   ATR (PC/SC part 3 storage card, standard 0F = ISO/IEC 7816-10 2WBP):
 *   3B 8F 80 01 80 4F 0C A0 00 00 03 06 0F 00 00 00 00 00 00 67
 *
 * What univend writes in the memory (identity, two credit-record slots,
 * meter data, MACs) is described in drivers/logiccard/logic_layout.h.
 *
 * Image fields: mem (256 bytes, hex), prot (4 bytes, hex: bit i of byte
 * i/8, most significant first, set = byte i protected), psc (3 bytes, hex),
 * ec (tries left, 0..3), meter_last (the meter's memory, for `cardsim
 * meter`: counter of the last record the meter wrote).
 *
 *   cardsim new logic IMAGE [serial=HEX meter=N type=CODE] [kind=K]
 *                           [master=HEX32 [alg=aes|3des|sm4]] [psc=HEX6] [ec=N]
 *     with master: the PSC is derived for the card and a first credit
 *     record (counter 0, no credit) is written under the card key; psc=
 *     overrides the derived code; without serial, meter and type a blank
 *     card (factory PSC FFFFFF unless psc= says otherwise).
 *   cardsim meter logic IMAGE master=HEX32 [alg=...] [remaining=N]
 *                             [tamper=N] [time=N]
 *     the meter's side: check the newest record's MAC, refuse one it has
 *     loaded before, take the credit (a new record, counter + 1, no credit,
 *     written by the meter) and write back its data: remaining credit (the
 *     old remaining plus what it took, or remaining=), tamper flags, clock.
 */
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/cardlib/cardio.h"
#include "../../drivers/logiccard/logic_layout.h"
#include "card.h"
#include "simopt.h"

#define SW_PROTECTED 0x6986   /* command not allowed: protected byte */
#define SW_MEMORY 0x6581      /* memory failure: the image could not be saved */
#define SW_WRONG_LE(n) (0x6C00 | ((n) & 0xFF))

struct logic_state {
    uint8_t mem[LC_MEM_SIZE];
    uint8_t prot[LC_PROTECTED / 8];
    uint8_t psc[LC_PSC_LEN];
    uint64_t ec;
    int presented; /* the PSC was presented since the last reset */
};

static int load(const struct sim_image *img, struct logic_state *s)
{
    memset(s, 0, sizeof *s);
    if (image_get_bin(img, "mem", s->mem, sizeof s->mem) != LC_MEM_SIZE ||
        image_get_bin(img, "prot", s->prot, sizeof s->prot) != (long)sizeof s->prot ||
        image_get_bin(img, "psc", s->psc, sizeof s->psc) != LC_PSC_LEN ||
        image_get_u64(img, "ec", &s->ec) != 0 || s->ec > 3)
        return -1;
    return 0;
}

static int save(struct sim_card *c, const struct logic_state *s)
{
    if (image_set_bin(&c->img, "mem", s->mem, sizeof s->mem) != 0 ||
        image_set_bin(&c->img, "psc", s->psc, sizeof s->psc) != 0 ||
        image_set_u64(&c->img, "ec", s->ec) != 0)
        return -1;
    return image_save(&c->img);
}

static int logic_reset(struct sim_card *c)
{
    struct logic_state *s = c->state ? c->state : malloc(sizeof *s);
    if (s == NULL)
        return -1;
    c->state = s;
    return load(&c->img, s); /* presented = 0: a reset drops the security state */
}

static void logic_release(struct sim_card *c)
{
    free(c->state);
    c->state = NULL;
}

static size_t logic_atr(const struct sim_card *c, uint8_t out[SIM_ATR_MAX])
{
    (void)c;
    memcpy(out, lc_atr, LC_ATR_LEN);
    return LC_ATR_LEN;
}

static int protected_byte(const struct logic_state *s, size_t addr)
{
    return addr < LC_PROTECTED && (s->prot[addr / 8] & (0x80 >> (addr % 8)));
}

static size_t read_binary(struct logic_state *s, const uint8_t *cmd, size_t len, uint8_t *resp)
{
    if (len != 5)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    size_t addr = (size_t)cmd[2] << 8 | cmd[3];
    size_t le = cmd[4] ? cmd[4] : 256;
    if (addr >= LC_MEM_SIZE)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (addr + le > LC_MEM_SIZE)
        return sim_sw(resp, 0, SW_WRONG_LE(LC_MEM_SIZE - addr));
    memcpy(resp, s->mem + addr, le);
    return sim_sw(resp, le, SW_OK);
}

static size_t update_binary(struct sim_card *c, struct logic_state *s, const uint8_t *cmd,
                            size_t len, uint8_t *resp)
{
    if (len < 6 || cmd[4] == 0 || len != 5u + cmd[4])
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    size_t addr = (size_t)cmd[2] << 8 | cmd[3], n = cmd[4];
    if (addr + n > LC_MEM_SIZE)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (!s->presented)
        return sim_sw(resp, 0, SW_SECURITY);
    for (size_t i = 0; i < n; i++)
        if (protected_byte(s, addr + i) && s->mem[addr + i] != cmd[5 + i])
            return sim_sw(resp, 0, SW_PROTECTED);
    memcpy(s->mem + addr, cmd + 5, n);
    return sim_sw(resp, 0, save(c, s) == 0 ? SW_OK : SW_MEMORY);
}

static size_t verify(struct sim_card *c, struct logic_state *s, const uint8_t *cmd, size_t len,
                     uint8_t *resp)
{
    if (cmd[2] != 0 || cmd[3] != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (len == 4 || (len == 5 && cmd[4] == 0)) { /* how many tries are left */
        if (s->ec == 0)
            return sim_sw(resp, 0, SW_AUTH_BLOCKED);
        return sim_sw(resp, 0, s->presented ? SW_OK : SW_VERIFY_FAIL(s->ec));
    }
    if (len != 5 + LC_PSC_LEN || cmd[4] != LC_PSC_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (s->ec == 0)
        return sim_sw(resp, 0, SW_AUTH_BLOCKED);
    if (memcmp(cmd + 5, s->psc, LC_PSC_LEN) != 0) {
        s->ec--;
        s->presented = 0;
        return sim_sw(resp, 0, save(c, s) == 0 ? SW_VERIFY_FAIL(s->ec) : SW_MEMORY);
    }
    s->ec = 3;
    s->presented = 1;
    return sim_sw(resp, 0, save(c, s) == 0 ? SW_OK : SW_MEMORY);
}

static size_t change_psc(struct sim_card *c, struct logic_state *s, const uint8_t *cmd,
                         size_t len, uint8_t *resp)
{
    if (cmd[2] != 1 || cmd[3] != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (len != 5 + LC_PSC_LEN || cmd[4] != LC_PSC_LEN)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (!s->presented)
        return sim_sw(resp, 0, SW_SECURITY);
    memcpy(s->psc, cmd + 5, LC_PSC_LEN);
    return sim_sw(resp, 0, save(c, s) == 0 ? SW_OK : SW_MEMORY);
}

static size_t logic_apdu(struct sim_card *c, const uint8_t *cmd, size_t len,
                         uint8_t resp[SIM_RESP_MAX])
{
    struct logic_state *s = c->state;
    if (len < 4)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (cmd[0] != 0xFF)
        return sim_sw(resp, 0, SW_CLA);
    switch (cmd[1]) {
    case 0xB0: return read_binary(s, cmd, len, resp);
    case 0xD6: return update_binary(c, s, cmd, len, resp);
    case 0x20: return verify(c, s, cmd, len, resp);
    case 0x24: return change_psc(c, s, cmd, len, resp);
    default: return sim_sw(resp, 0, SW_INS);
    }
}

/* ---- the card issuing station and the meter ------------------------------- */

/* MAC a record or meter data block in place (bytes 24..31). */
static int mac_block(int alg, const uint8_t key[CARDKEY_LEN], const char *tag,
                     const uint8_t *mem, uint8_t *block)
{
    uint8_t msg[LC_MSG_MAX], mac[CARDKEY_MAC_MAX];
    size_t n = lc_mac_msg(tag, mem, block, msg);
    if (cardkey_cmac(alg, key, msg, n, mac) != 0)
        return -1;
    memcpy(block + 24, mac, LC_MAC_LEN);
    return 0;
}

/* alg= and master= into the card key of the identity in mem. 0, 1 absent, -1. */
static int card_key(int argc, char **argv, const uint8_t *mem, int *alg,
                    uint8_t key[CARDKEY_LEN], FILE *err)
{
    uint8_t master[CARDKEY_LEN];
    struct lc_identity id;
    const char *a = simopt_get(argc, argv, "alg");
    *alg = a ? cardkey_alg_parse(a) : CARDKEY_AES;
    if (*alg == 0) {
        fprintf(err, "alg must be aes, 3des or sm4\n");
        return -1;
    }
    long n = simopt_hex(argc, argv, "master", master, CARDKEY_LEN, CARDKEY_LEN, err);
    if (n <= 0)
        return n < 0 ? -1 : 1;
    int rc = lc_identity_parse(mem, LC_MEM_SIZE, &id) != LC_ID_OK ||
             cardkey_derive(*alg, master, id.serial, id.serial_len, key) != 0;
    explicit_bzero(master, sizeof master);
    if (rc != 0)
        fprintf(err, "no card key: the card has no identity, or its serial is too long for %s\n",
                cardkey_alg_name(*alg));
    return rc ? -1 : 0;
}

static int logic_personalise(const char *path, int argc, char **argv, FILE *err)
{
    static const char *const known[] = {"serial", "meter", "type", "kind", "master",
                                        "alg",    "psc",   "ec",   NULL};
    struct sim_image img;
    struct logic_state s;
    struct lc_identity id;
    uint64_t kind = 0, ec = 3;
    uint8_t key[CARDKEY_LEN];
    int alg = 0;
    if (simopt_check(argc, argv, known, err) != 0 ||
        simopt_u64(argc, argv, "kind", 4, &kind, err) < 0 ||
        simopt_u64(argc, argv, "ec", 3, &ec, err) < 0)
        return 1;
    memset(&s, 0, sizeof s);
    memcpy(s.mem, lc_chip_header, sizeof lc_chip_header);
    memset(s.psc, 0xFF, sizeof s.psc);
    memset(s.prot, 0xF0, 1); /* the chip header is protected from the factory */
    memset(&id, 0, sizeof id);
    const char *meter = simopt_get(argc, argv, "meter"), *type = simopt_get(argc, argv, "type");
    long sn = simopt_hex(argc, argv, "serial", id.serial, 0, LC_SERIAL_MAX, err);
    if (sn < 0)
        return 1;
    if (sn > 0 || meter || type) {
        if (sn == 0 || meter == NULL || type == NULL || strlen(meter) >= sizeof id.meter ||
            strlen(type) >= sizeof id.type) {
            fprintf(err, "a personalised card needs serial=, meter= (1-31 of A-Z a-z 0-9 . _ -) "
                         "and type= (1-15 of A-Z 0-9 . _ -)\n");
            return 1;
        }
        id.serial_len = (size_t)sn;
        id.kind = (uint8_t)kind;
        strcpy(id.meter, meter);
        strcpy(id.type, type);
        if (lc_identity_encode(&id, s.mem) != 0) {
            fprintf(err, "meter must be 1-31 of A-Z a-z 0-9 . _ - and type 1-15 of A-Z 0-9 . _ -\n");
            return 1;
        }
        memset(s.prot, 0xFF, sizeof s.prot); /* the identity is written once */
    }
    int k = card_key(argc, argv, s.mem, &alg, key, err);
    if (k < 0)
        return 1;
    if (k == 0) {
        struct lc_record r = {0};
        uint8_t mac[CARDKEY_MAC_MAX];
        lc_record_encode(&r, s.mem + LC_OFF_REC0);
        if (mac_block(alg, key, "UVCR", s.mem, s.mem + LC_OFF_REC0) != 0 ||
            cardkey_cmac(alg, key, LC_PSC_MSG, strlen(LC_PSC_MSG), mac) != 0) {
            fprintf(err, "crypto library failure\n");
            return 1;
        }
        memcpy(s.psc, mac, LC_PSC_LEN);
        explicit_bzero(key, sizeof key);
    }
    if (simopt_hex(argc, argv, "psc", s.psc, LC_PSC_LEN, LC_PSC_LEN, err) < 0)
        return 1;
    s.ec = ec;
    if (image_load(&img, path, 1) != 0 || image_set_bin(&img, "mem", s.mem, sizeof s.mem) != 0 ||
        image_set_bin(&img, "prot", s.prot, sizeof s.prot) != 0 ||
        image_set_bin(&img, "psc", s.psc, sizeof s.psc) != 0 ||
        image_set_u64(&img, "ec", s.ec) != 0 || image_set_u64(&img, "meter_last", 0) != 0 ||
        image_save(&img) != 0) {
        fprintf(err, "cannot write the card image %s\n", path);
        return 1;
    }
    return 0;
}

/* The newest record whose MAC holds: its slot offset, or 0 if none. */
static size_t newest_record(int alg, const uint8_t key[CARDKEY_LEN], const uint8_t *mem,
                            struct lc_record *best)
{
    static const size_t slots[2] = {LC_OFF_REC0, LC_OFF_REC1};
    size_t at = 0;
    for (int i = 0; i < 2; i++) {
        struct lc_record r;
        uint8_t copy[LC_REC_LEN];
        memcpy(copy, mem + slots[i], LC_REC_LEN);
        if (lc_record_parse(copy, &r) != 0 || mac_block(alg, key, "UVCR", mem, copy) != 0 ||
            memcmp(copy + 24, mem + slots[i] + 24, LC_MAC_LEN) != 0)
            continue;
        if (at == 0 || r.counter > best->counter) {
            *best = r;
            at = slots[i];
        }
    }
    return at;
}

static int logic_meter(const char *path, int argc, char **argv, FILE *out)
{
    static const char *const known[] = {"master", "alg", "remaining", "tamper", "time", NULL};
    struct sim_card c = {0};
    struct logic_state s;
    struct lc_record best, next;
    struct lc_mdata md;
    uint8_t key[CARDKEY_LEN];
    uint64_t last = 0, remaining = 0, tamper = 0, now = 0;
    int alg;
    if (simopt_check(argc, argv, known, out) != 0)
        return 1;
    if (image_load(&c.img, path, 0) != 0 || load(&c.img, &s) != 0) {
        fprintf(out, "cannot read the card image %s\n", path);
        return 1;
    }
    image_get_u64(&c.img, "meter_last", &last);
    int k = card_key(argc, argv, s.mem, &alg, key, out);
    if (k != 0) {
        if (k > 0)
            fprintf(out, "the meter needs master= (its utility key)\n");
        return 1;
    }
    size_t at = newest_record(alg, key, s.mem, &best);
    if (at == 0) {
        fprintf(out, "refused: no credit record with a valid MAC (forged or foreign card)\n");
        explicit_bzero(key, sizeof key);
        return 1;
    }
    if (lc_mdata_parse(s.mem + LC_OFF_MDATA, &md) == 0)
        remaining = md.remaining;
    if (best.amount > 0) {
        if (best.counter <= last) {
            fprintf(out, "refused: purchase %u was loaded before (replayed card)\n", best.counter);
            explicit_bzero(key, sizeof key);
            return 1;
        }
        remaining += best.amount;
    }
    if (simopt_u64(argc, argv, "remaining", UINT64_MAX, &remaining, out) < 0 ||
        simopt_u64(argc, argv, "tamper", 0xFFFF, &tamper, out) < 0 ||
        simopt_u64(argc, argv, "time", UINT64_MAX, &now, out) < 0) {
        explicit_bzero(key, sizeof key);
        return 1;
    }
    next = best;
    next.flags = LC_REC_METER;
    next.counter = best.counter + 1;
    next.amount = 0;
    size_t other = at == LC_OFF_REC0 ? LC_OFF_REC1 : LC_OFF_REC0;
    lc_record_encode(&next, s.mem + other);
    md = (struct lc_mdata){.tamper = (uint16_t)tamper, .loaded_counter = best.counter,
                           .remaining = remaining, .time = now};
    lc_mdata_encode(&md, s.mem + LC_OFF_MDATA);
    int rc = mac_block(alg, key, "UVCR", s.mem, s.mem + other) != 0 ||
             mac_block(alg, key, "UVMD", s.mem, s.mem + LC_OFF_MDATA) != 0;
    explicit_bzero(key, sizeof key);
    if (rc != 0 || image_set_u64(&c.img, "meter_last", next.counter) != 0 || save(&c, &s) != 0) {
        fprintf(out, "cannot write the card image %s\n", path);
        return 1;
    }
    fprintf(out, "loaded %llu from purchase %u (receipt %llu); remaining %llu; tamper %llu\n",
            (unsigned long long)best.amount, best.counter, (unsigned long long)best.sequence,
            (unsigned long long)remaining, (unsigned long long)tamper);
    return 0;
}

const struct sim_card_ops sim_card_logic = {
    .type = "logic",
    .help = "    new: serial=HEX meter=N type=CODE [kind=K] master=HEX32 [alg=aes|3des|sm4]\n"
            "         [psc=HEX6] [ec=0..3]   (without serial, meter, type: a blank card)\n"
            "    meter: master=HEX32 [alg=] [remaining=N] [tamper=BITS] [time=N]\n",
    .personalise = logic_personalise,
    .reset = logic_reset,
    .atr = logic_atr,
    .apdu = logic_apdu,
    .release = logic_release,
    .meter = logic_meter,
};
