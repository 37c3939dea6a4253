/*
 * card_rf.c — a MIFARE-Classic-1K-style contactless card, as a PC/SC reader
 * presents it: the reader's pseudo-APDUs for storage cards (PC/SC
 * Interoperability Specification part 3, v2.01.09, 3.2.2.1).
 *
 * The card
 *   1 KB: 16 sectors of 4 blocks of 16 bytes. Block 0 is the manufacturer
 *   block (UID, BCC, SAK 08, ATQA 00 04), never written. The last block of a
 *   sector, its trailer, holds key A (6 bytes), the access bits (3 bytes, C1
 *   C2 C3 per block with their inverted copies), a user byte and key B (6
 *   bytes). A block is read or written only after authenticating its sector
 *   with key A or B, and only as the access bits allow:
 *     data blocks   000 r A|B w A|B   010 r A|B   100 r A|B w B   110 r A|B w B
 *                   001 r A|B         011 r B w B  101 r B         111 -
 *     trailers      (simplified) 001: key A rewrites the whole trailer,
 *                   011: key B does, anything else: never; keys A and B
 *                   always read back as zeros; a trailer with malformed
 *                   access bits is refused (6A80) instead of bricking the
 *                   sector; key B is always usable to authenticate.
 *   Value blocks are plain blocks in the MIFARE value format; this card
 *   offers no INCREMENT/DECREMENT (the driver writes whole blocks).
 *
 *   NOT Crypto1: a real card and reader run MIFARE's three-pass mutual
 *   authentication with the Crypto1 cipher. This emulation does not: on
 *   GENERAL AUTHENTICATE it compares the key loaded into the "reader" with
 *   the sector trailer's key A or B. Security rests on the keys being
 *   per-card and per-sector, not on Crypto1 (which is broken: sector keys of
 *   a real card can be recovered, which is why univend MACs the credit).
 *
 * Commands (class FF)
 *   FF CA 00 00 Le            GET DATA: the UID (3.2.2.1.3); Le 00: all of it,
 *                             shorter 6Cxx, longer 6282 (end reached)
 *   FF 82 00 KN 06 key        LOAD KEYS into the reader's volatile key
 *                             number KN (0 or 1) (3.2.2.1.4); P1 other than
 *                             00 (reader key 6383, secured 6385,
 *                             non-volatile 6387), KN > 1 6388, length 6389
 *   FF 86 00 00 05 01 00 BB KT KN
 *                             GENERAL AUTHENTICATE block BB's sector with
 *                             key type KT (60 key A, 61 key B) and loaded
 *                             key KN (3.2.2.1.6); 6300 refused (the sector
 *                             is then not authenticated), 6986 no key
 *                             loaded, 6A82 no such block
 *   FF B0 00 BB 10            READ BINARY one block (3.2.2.1.8); 6982 not
 *                             authenticated or not allowed
 *   FF D6 00 BB 10 data       UPDATE BINARY one block (3.2.2.1.9); 6982
 *   ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A
 *
 * What univend writes in the sectors is described in
 * drivers/rfcard/rf_layout.h.
 *
 * Image fields: uid (4 or 7 bytes, hex), s0..s15 (each sector's 64 bytes,
 * hex), meter_last (the meter's memory, for `cardsim meter`).
 *
 *   cardsim new rf IMAGE uid=HEX [meter=N type=CODE [kind=K]]
 *                       [master=HEX32 mac=HEX32 [alg=aes|3des|sm4]]
 *     master: the sector keys of sectors 0-3 are derived from it and the UID;
 *     mac: the MAC master for the first credit record (counter 0, no
 *     credit); without meter, type and master a blank card with transport
 *     keys (FF FF FF FF FF FF).
 *   cardsim meter rf IMAGE master=HEX32 mac=HEX32 [alg=...] [remaining=N]
 *                          [tamper=N] [time=N]
 *     the meter's side, as for the logic card: checks the record, refuses a
 *     replay, takes the value, writes back its data.
 */
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardkey/cardkey.h"
#include "../../drivers/rfcard/rf_layout.h"
#include "card.h"
#include "simopt.h"

#define SW_AUTH_FAILED 0x6300
#define SW_NOT_ALLOWED 0x6986
#define SW_NO_BLOCK 0x6A82
#define SW_MEMORY 0x6581

struct rf_state {
    uint8_t uid[RF_UID_MAX];
    size_t uid_len;
    uint8_t mem[RF_BLOCKS][RF_BLOCK];
    uint8_t key[2][RF_KEY_LEN]; /* the reader's volatile key memory */
    int loaded[2];
    int sector;                 /* authenticated sector, or -1      */
    int with_b;                 /* ...with key B                    */
};

static int load(const struct sim_image *img, struct rf_state *s)
{
    memset(s, 0, sizeof *s);
    s->sector = -1;
    long n = image_get_bin(img, "uid", s->uid, sizeof s->uid);
    if (n != 4 && n != 7)
        return -1;
    s->uid_len = (size_t)n;
    for (int i = 0; i < RF_SECTORS; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        if (image_get_bin(img, name, s->mem[4 * i], 4 * RF_BLOCK) != 4 * RF_BLOCK)
            return -1;
    }
    return 0;
}

static int save_sector(struct sim_image *img, const struct rf_state *s, int sector)
{
    char name[16];
    snprintf(name, sizeof name, "s%d", sector);
    if (image_set_bin(img, name, s->mem[4 * sector], 4 * RF_BLOCK) != 0)
        return -1;
    return image_save(img);
}

static int rf_reset(struct sim_card *c)
{
    struct rf_state *s = c->state ? c->state : malloc(sizeof *s);
    if (s == NULL)
        return -1;
    c->state = s;
    return load(&c->img, s);
}

static void rf_release(struct sim_card *c)
{
    if (c->state)
        explicit_bzero(c->state, sizeof(struct rf_state));
    free(c->state);
    c->state = NULL;
}

static size_t rf_atr_of(const struct sim_card *c, uint8_t out[SIM_ATR_MAX])
{
    (void)c;
    memcpy(out, rf_atr, RF_ATR_LEN);
    return RF_ATR_LEN;
}

/* C1 C2 C3 of block b, or -1 when the sector's access bits are malformed. */
static int access_of(const struct rf_state *s, int b)
{
    uint8_t c[4];
    if (rf_access_decode(s->mem[b | 3] + 6, c) != 0)
        return -1;
    return c[b & 3];
}

static int may_read(const struct rf_state *s, int b)
{
    if ((b & 3) == 3)
        return 1; /* a trailer reads back without its keys */
    int ac = access_of(s, b);
    return ac >= 0 && ac != 7 && (!(ac == 3 || ac == 5) || s->with_b);
}

static int may_write(const struct rf_state *s, int b)
{
    int ac = access_of(s, b);
    if (b == 0 || ac < 0)
        return 0;
    if ((b & 3) == 3)
        return (ac == RF_AC_TRAILER_A && !s->with_b) || (ac == RF_AC_TRAILER_B && s->with_b);
    switch (ac) {
    case 0: return 1;
    case 3:
    case 4:
    case 6: return s->with_b;
    default: return 0;
    }
}

static size_t get_uid(struct rf_state *s, const uint8_t *cmd, size_t len, uint8_t *resp)
{
    if (len != 5)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (cmd[2] != 0 || cmd[3] != 0)
        return sim_sw(resp, 0, 0x6A81); /* function not supported */
    if (cmd[4] != 0 && cmd[4] < s->uid_len)
        return sim_sw(resp, 0, 0x6C00 | (unsigned)s->uid_len);
    memcpy(resp, s->uid, s->uid_len);
    return sim_sw(resp, s->uid_len, cmd[4] > s->uid_len ? 0x6282 : SW_OK);
}

static size_t load_keys(struct rf_state *s, const uint8_t *cmd, size_t len, uint8_t *resp)
{
    if (cmd[2] & 0x80)
        return sim_sw(resp, 0, 0x6383);
    if (cmd[2] & 0x40)
        return sim_sw(resp, 0, 0x6385);
    if (cmd[2] & 0x20)
        return sim_sw(resp, 0, 0x6387);
    if (cmd[2] != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    if (cmd[3] > 1)
        return sim_sw(resp, 0, 0x6388);
    if (len != 5 + RF_KEY_LEN || cmd[4] != RF_KEY_LEN)
        return sim_sw(resp, 0, 0x6389);
    memcpy(s->key[cmd[3]], cmd + 5, RF_KEY_LEN);
    s->loaded[cmd[3]] = 1;
    return sim_sw(resp, 0, SW_OK);
}

static size_t authenticate(struct rf_state *s, const uint8_t *cmd, size_t len, uint8_t *resp)
{
    if (len != 10 || cmd[4] != 5)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (cmd[2] != 0 || cmd[3] != 0)
        return sim_sw(resp, 0, SW_WRONG_P1P2);
    const uint8_t *d = cmd + 5;
    unsigned block = (unsigned)d[1] << 8 | d[2];
    if (d[0] != 0x01 || (d[3] != 0x60 && d[3] != 0x61) || d[4] > 1)
        return sim_sw(resp, 0, SW_WRONG_DATA);
    if (block >= RF_BLOCKS)
        return sim_sw(resp, 0, SW_NO_BLOCK);
    if (!s->loaded[d[4]])
        return sim_sw(resp, 0, SW_NOT_ALLOWED);
    const uint8_t *trailer = s->mem[block | 3];
    const uint8_t *want = d[3] == 0x60 ? trailer : trailer + 10;
    s->sector = -1; /* a failed authentication leaves none */
    if (memcmp(want, s->key[d[4]], RF_KEY_LEN) != 0)
        return sim_sw(resp, 0, SW_AUTH_FAILED);
    s->sector = (int)block / 4;
    s->with_b = d[3] == 0x61;
    return sim_sw(resp, 0, SW_OK);
}

static size_t read_block(struct rf_state *s, const uint8_t *cmd, size_t len, uint8_t *resp)
{
    if (len != 5 || cmd[4] != RF_BLOCK)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    unsigned b = (unsigned)cmd[2] << 8 | cmd[3];
    if (b >= RF_BLOCKS)
        return sim_sw(resp, 0, SW_NO_BLOCK);
    if (s->sector != (int)b / 4 || !may_read(s, (int)b))
        return sim_sw(resp, 0, SW_SECURITY);
    memcpy(resp, s->mem[b], RF_BLOCK);
    if ((b & 3) == 3) {
        memset(resp, 0, RF_KEY_LEN);
        memset(resp + 10, 0, RF_KEY_LEN);
    }
    return sim_sw(resp, RF_BLOCK, SW_OK);
}

static size_t write_block(struct sim_card *c, struct rf_state *s, const uint8_t *cmd, size_t len,
                          uint8_t *resp)
{
    if (len != 5 + RF_BLOCK || cmd[4] != RF_BLOCK)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    unsigned b = (unsigned)cmd[2] << 8 | cmd[3];
    uint8_t ac[4];
    if (b >= RF_BLOCKS)
        return sim_sw(resp, 0, SW_NO_BLOCK);
    if (s->sector != (int)b / 4 || !may_write(s, (int)b))
        return sim_sw(resp, 0, SW_SECURITY);
    if ((b & 3) == 3 && rf_access_decode(cmd + 5 + 6, ac) != 0)
        return sim_sw(resp, 0, SW_WRONG_DATA);
    memcpy(s->mem[b], cmd + 5, RF_BLOCK);
    return sim_sw(resp, 0, save_sector(&c->img, s, (int)b / 4) == 0 ? SW_OK : SW_MEMORY);
}

static size_t rf_apdu(struct sim_card *c, const uint8_t *cmd, size_t len,
                      uint8_t resp[SIM_RESP_MAX])
{
    struct rf_state *s = c->state;
    if (len < 5)
        return sim_sw(resp, 0, SW_WRONG_LENGTH);
    if (cmd[0] != 0xFF)
        return sim_sw(resp, 0, SW_CLA);
    switch (cmd[1]) {
    case 0xCA: return get_uid(s, cmd, len, resp);
    case 0x82: return load_keys(s, cmd, len, resp);
    case 0x86: return authenticate(s, cmd, len, resp);
    case 0xB0: return read_block(s, cmd, len, resp);
    case 0xD6: return write_block(c, s, cmd, len, resp);
    default: return sim_sw(resp, 0, SW_INS);
    }
}

/* ---- the card issuing station and the meter ------------------------------- */

struct rf_keys {
    int alg;
    uint8_t master[CARDKEY_LEN], mac_master[CARDKEY_LEN];
    int have_master, have_mac;
};

static int read_keys(int argc, char **argv, struct rf_keys *k, FILE *err)
{
    const char *a = simopt_get(argc, argv, "alg");
    memset(k, 0, sizeof *k);
    k->alg = a ? cardkey_alg_parse(a) : CARDKEY_AES;
    if (k->alg == 0) {
        fprintf(err, "alg must be aes, 3des or sm4\n");
        return -1;
    }
    long m = simopt_hex(argc, argv, "master", k->master, CARDKEY_LEN, CARDKEY_LEN, err);
    long n = simopt_hex(argc, argv, "mac", k->mac_master, CARDKEY_LEN, CARDKEY_LEN, err);
    if (m < 0 || n < 0)
        return -1;
    k->have_master = m > 0;
    k->have_mac = n > 0;
    return 0;
}

static int sector_keys(const struct rf_keys *k, const struct rf_state *s, int sector,
                       uint8_t a[RF_KEY_LEN], uint8_t b[RF_KEY_LEN])
{
    uint8_t serial[8], key[CARDKEY_LEN];
    size_t n = rf_sector_serial(s->uid, s->uid_len, (unsigned)sector, serial);
    if (cardkey_derive(k->alg, k->master, serial, n, key) != 0)
        return -1;
    memcpy(a, key, RF_KEY_LEN);
    memcpy(b, key + RF_KEY_LEN, RF_KEY_LEN);
    explicit_bzero(key, sizeof key);
    return 0;
}

/* The MAC of a credit record (in place) or of the meter data (into block 13). */
static int mac_record(const struct rf_keys *k, const struct rf_state *s, uint8_t *rec,
                      const uint8_t *value_block)
{
    uint8_t msg[RF_MSG_MAX], key[CARDKEY_LEN], mac[CARDKEY_MAC_MAX];
    size_t n = rf_record_msg(s->uid, s->uid_len, s->mem[RF_BLK_MAGIC], rec, value_block, msg);
    int rc = cardkey_derive(k->alg, k->mac_master, s->uid, s->uid_len, key) != 0 ||
             cardkey_cmac(k->alg, key, msg, n, mac) != 0;
    explicit_bzero(key, sizeof key);
    if (rc == 0)
        memcpy(rec + 8, mac, RF_MAC_LEN);
    return rc ? -1 : 0;
}

static int mac_mdata(const struct rf_keys *k, struct rf_state *s)
{
    uint8_t msg[RF_MSG_MAX], key[CARDKEY_LEN], mac[CARDKEY_MAC_MAX];
    size_t n = rf_mdata_msg(s->uid, s->uid_len, s->mem[RF_BLK_MDATA], msg);
    int rc = cardkey_derive(k->alg, k->mac_master, s->uid, s->uid_len, key) != 0 ||
             cardkey_cmac(k->alg, key, msg, n, mac) != 0;
    explicit_bzero(key, sizeof key);
    memset(s->mem[RF_BLK_MDMAC], 0, RF_BLOCK);
    if (rc == 0)
        memcpy(s->mem[RF_BLK_MDMAC], mac, RF_MAC_LEN);
    return rc ? -1 : 0;
}

static void trailer(uint8_t *t, const uint8_t a[RF_KEY_LEN], uint8_t data_ac, uint8_t trailer_ac,
                    const uint8_t b[RF_KEY_LEN])
{
    const uint8_t c[4] = {data_ac, data_ac, data_ac, trailer_ac};
    memcpy(t, a, RF_KEY_LEN);
    rf_access_encode(c, t + 6);
    t[9] = 0x69;
    memcpy(t + 10, b, RF_KEY_LEN);
}

static int rf_personalise(const char *path, int argc, char **argv, FILE *err)
{
    static const char *const known[] = {"uid", "meter", "type", "kind", "master", "mac",
                                        "alg", NULL};
    static const uint8_t transport[RF_KEY_LEN] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    struct sim_image img;
    struct rf_state s;
    struct rf_keys k;
    uint64_t kind = 0;
    memset(&s, 0, sizeof s);
    if (simopt_check(argc, argv, known, err) != 0 || read_keys(argc, argv, &k, err) != 0 ||
        simopt_u64(argc, argv, "kind", 4, &kind, err) < 0)
        return 1;
    long n = simopt_hex(argc, argv, "uid", s.uid, 0, RF_UID_MAX, err);
    if (n != 4 && n != 7) {
        fprintf(err, "uid must be 4 or 7 bytes of hex\n");
        return 1;
    }
    s.uid_len = (size_t)n;
    /* block 0: UID, BCC (4-byte UIDs), SAK 08, ATQA 00 04, manufacturer data */
    memcpy(s.mem[0], s.uid, s.uid_len);
    if (s.uid_len == 4) {
        s.mem[0][4] = s.uid[0] ^ s.uid[1] ^ s.uid[2] ^ s.uid[3];
        s.mem[0][5] = 0x08;
        s.mem[0][6] = 0x04;
        s.mem[0][7] = 0x00;
    } else {
        s.mem[0][7] = 0x08;
        s.mem[0][8] = 0x44;
        s.mem[0][9] = 0x00;
    }
    for (int i = 0; i < RF_SECTORS; i++)
        trailer(s.mem[4 * i + 3], transport, RF_AC_DATA_TRANSPORT, RF_AC_TRAILER_A, transport);
    const char *meter = simopt_get(argc, argv, "meter"), *type = simopt_get(argc, argv, "type");
    if (meter || type || k.have_master || k.have_mac) {
        struct rf_identity id = {.kind = (uint8_t)kind};
        if (meter == NULL || type == NULL || !k.have_master || !k.have_mac ||
            strlen(meter) > RF_METER_MAX || strlen(type) >= sizeof id.type) {
            fprintf(err, "an issued card needs meter= (1-16 of A-Z a-z 0-9 . _ -), type= (1-15 "
                         "of A-Z 0-9 . _ -), master= and mac=\n");
            return 1;
        }
        strcpy(id.meter, meter);
        strcpy(id.type, type);
        if (rf_identity_encode(&id, s.mem[RF_BLK_MAGIC]) != 0) {
            fprintf(err, "meter must be 1-16 of A-Z a-z 0-9 . _ - and type 1-15 of A-Z 0-9 . _ -\n");
            return 1;
        }
        static const uint8_t data_ac[4] = {RF_AC_DATA_READONLY, RF_AC_DATA_READONLY,
                                           RF_AC_DATA_WRITE_B, RF_AC_DATA_WRITE_B};
        for (int i = 0; i < 4; i++) {
            uint8_t a[RF_KEY_LEN], b[RF_KEY_LEN];
            if (sector_keys(&k, &s, i, a, b) != 0) {
                fprintf(err, "a %zu-byte UID cannot be diversified with %s\n", s.uid_len,
                        cardkey_alg_name(k.alg));
                return 1;
            }
            trailer(s.mem[4 * i + 3], a, data_ac[i], RF_AC_TRAILER_B, b);
        }
        struct rf_record r = {0};
        rf_value_encode(0, RF_BLK_VALUE, s.mem[RF_BLK_VALUE]);
        rf_record_encode(&r, s.mem[RF_BLK_REC0]);
        if (mac_record(&k, &s, s.mem[RF_BLK_REC0], s.mem[RF_BLK_VALUE]) != 0) {
            fprintf(err, "a %zu-byte UID cannot be diversified with %s\n", s.uid_len,
                    cardkey_alg_name(k.alg));
            return 1;
        }
    }
    explicit_bzero(&k, sizeof k);
    int rc = image_load(&img, path, 1) != 0 || image_set_bin(&img, "uid", s.uid, s.uid_len) != 0 ||
             image_set_u64(&img, "meter_last", 0) != 0;
    for (int i = 0; i < RF_SECTORS && rc == 0; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        rc = image_set_bin(&img, name, s.mem[4 * i], 4 * RF_BLOCK) != 0;
    }
    if (rc != 0 || image_save(&img) != 0) {
        fprintf(err, "cannot write the card image %s\n", path);
        return 1;
    }
    return 0;
}

/* The valid record with the highest counter: its block, or 0. */
static int newest_record(const struct rf_keys *k, const struct rf_state *s, struct rf_record *best)
{
    int at = 0;
    for (int b = RF_BLK_REC0; b <= RF_BLK_REC1; b++) {
        uint8_t copy[RF_BLOCK];
        struct rf_record r;
        memcpy(copy, s->mem[b], RF_BLOCK);
        if (mac_record(k, s, copy, s->mem[RF_BLK_VALUE]) != 0 ||
            memcmp(copy + 8, s->mem[b] + 8, RF_MAC_LEN) != 0)
            continue;
        rf_record_parse(s->mem[b], &r);
        if (at == 0 || r.counter > best->counter) {
            *best = r;
            at = b;
        }
    }
    return at;
}

static int rf_meter(const char *path, int argc, char **argv, FILE *out)
{
    static const char *const known[] = {"master", "mac", "alg", "remaining", "tamper", "time",
                                        NULL};
    struct sim_card c = {0};
    struct rf_state s;
    struct rf_keys k;
    struct rf_record best, next;
    struct rf_mdata md;
    int32_t value;
    uint8_t addr;
    uint64_t last = 0, remaining = 0, tamper = 0, now = 0;
    if (simopt_check(argc, argv, known, out) != 0 || read_keys(argc, argv, &k, out) != 0)
        return 1;
    if (!k.have_mac) {
        fprintf(out, "the meter needs mac= (its utility MAC key)\n");
        return 1;
    }
    if (image_load(&c.img, path, 0) != 0 || load(&c.img, &s) != 0) {
        fprintf(out, "cannot read the card image %s\n", path);
        return 1;
    }
    image_get_u64(&c.img, "meter_last", &last);
    if (rf_value_parse(s.mem[RF_BLK_VALUE], &value, &addr) != 0 || value < 0) {
        fprintf(out, "refused: the value block is damaged\n");
        return 1;
    }
    int at = newest_record(&k, &s, &best);
    if (at == 0) {
        fprintf(out, "refused: no credit record with a valid MAC (forged or foreign card)\n");
        return 1;
    }
    if (rf_mdata_parse(s.mem[RF_BLK_MDATA], &md) == 0)
        remaining = md.remaining;
    if (value > 0) {
        if (best.counter <= last) {
            fprintf(out, "refused: purchase %u was loaded before (replayed card)\n", best.counter);
            return 1;
        }
        remaining += (uint64_t)value;
    }
    if (simopt_u64(argc, argv, "remaining", UINT32_MAX, &remaining, out) < 0 ||
        simopt_u64(argc, argv, "tamper", 0xFFFF, &tamper, out) < 0 ||
        simopt_u64(argc, argv, "time", UINT32_MAX, &now, out) < 0 || remaining > UINT32_MAX ||
        best.counter == RF_COUNTER_MAX)
        return 1;
    next = best;
    next.counter = (uint16_t)(best.counter + 1);
    int other = at == RF_BLK_REC0 ? RF_BLK_REC1 : RF_BLK_REC0;
    rf_value_encode(0, RF_BLK_VALUE, s.mem[RF_BLK_VALUE]);
    rf_record_encode(&next, s.mem[other]);
    md = (struct rf_mdata){.tamper = (uint16_t)tamper, .loaded_counter = best.counter,
                           .remaining = (uint32_t)remaining, .time = (uint32_t)now};
    rf_mdata_encode(&md, s.mem[RF_BLK_MDATA]);
    int rc = mac_record(&k, &s, s.mem[other], s.mem[RF_BLK_VALUE]) != 0 || mac_mdata(&k, &s) != 0;
    explicit_bzero(&k, sizeof k);
    if (rc != 0 || image_set_u64(&c.img, "meter_last", next.counter) != 0 ||
        image_set_bin(&c.img, "s2", s.mem[8], 4 * RF_BLOCK) != 0 ||
        save_sector(&c.img, &s, RF_SEC_MDATA) != 0) {
        fprintf(out, "cannot write the card image %s\n", path);
        return 1;
    }
    fprintf(out, "loaded %d from purchase %u (receipt %llu); remaining %llu; tamper %llu\n",
            (int)value, best.counter, (unsigned long long)best.sequence,
            (unsigned long long)remaining, (unsigned long long)tamper);
    return 0;
}

const struct sim_card_ops sim_card_rf = {
    .type = "rf",
    .help = "    new: uid=HEX8|HEX14 [meter=N type=CODE [kind=K] master=HEX32 mac=HEX32\n"
            "         [alg=aes|3des|sm4]]   (uid alone: a blank card, transport keys)\n"
            "    meter: master=HEX32 mac=HEX32 [alg=] [remaining=N] [tamper=BITS] [time=N]\n",
    .personalise = rf_personalise,
    .reset = rf_reset,
    .atr = rf_atr_of,
    .apdu = rf_apdu,
    .release = rf_release,
    .meter = rf_meter,
};
