/*
 * rf_layout.h — what univend keeps on a MIFARE-Classic-1K-style contactless
 * card: 16 sectors of 4 blocks of 16 bytes; the last block of each sector
 * (the trailer) holds key A, the access bits and key B. Shared by the driver
 * and the simulator.
 *
 *  sector 0  block 0: the manufacturer block (UID, BCC, SAK, ATQA), read-only
 *  sector 1  identity, read with key A, never written after issue:
 *            block 4  "UVRF" | version 1 | credit kind | 10 zero bytes
 *            block 5  meter type code, 1..15 of A-Z 0-9 . _ -, NUL-padded
 *            block 6  meter number, 1..16 of A-Z a-z 0-9 . _ -, NUL-padded
 *  sector 2  credit, read with key A or B, written with key B:
 *            block 8  value block: the credit on the card not yet loaded into
 *                     the meter (unit of the kind), address byte 8
 *            block 9  credit record, slot 0
 *            block 10 credit record, slot 1
 *  sector 3  meter data, read with A or B, written by the meter with key B:
 *            block 12 version 1 | 0 | tamper flags (2) | counter of the record
 *                     the meter took (2) | 0 0 | credit remaining in the
 *                     meter (4) | meter clock, Unix seconds (4); all
 *                     big-endian; version 0: not been to a meter yet
 *            block 13 CMAC-8 of "UVMD" || n || UID || block 12, then 8 zeros
 *  sectors 4-15 untouched (transport keys)
 *
 * Credit record (16 bytes): purchase counter (2, big-endian, +1 at every
 * write by kiosk or meter) | sequence, the kiosk receipt number of the last
 * purchase (6, big-endian) | CMAC-8 of "UVRC" || n || UID || blocks 4-6 ||
 * record bytes 0..7 || the value block's 4 value bytes. A record counts only
 * with the value block in force: a sale writes the new record into the slot
 * not holding the current one, then the value block, so a card pulled in
 * between keeps the previous record and value.
 *
 * Value blocks as MIFARE Classic defines them (NXP MF1S50yyX, 8.6.2.1):
 * value (4 bytes, little-endian, two's complement), its inverse, the value
 * again, then address, inverse address, address, inverse address.
 *
 * Keys. Sector keys: derive(sector master, alg, UID || sector number)
 * (docs/cards.md): key A its bytes 0..5, key B its bytes 6..11. MACs: the
 * card key derive(MAC master, alg, UID), a different master — so the sector
 * keys a reader must be handed in clear never reveal the MAC key.
 *
 * Access bits (bytes 6-8 of a trailer, MIFARE Classic coding of C1 C2 C3 per
 * block with inverted copies): identity and sector 0 data 010 (read A|B,
 * never written), credit and meter data 100 (read A|B, write B), trailers
 * 011 (key B rewrites the trailer); transport sectors data 000, trailer 001.
 */
#ifndef UV_RF_LAYOUT_H
#define UV_RF_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define RF_BLOCK 16
#define RF_BLOCKS 64
#define RF_SECTORS 16
#define RF_SEC_ID 1
#define RF_SEC_CREDIT 2
#define RF_SEC_MDATA 3
#define RF_BLK_MAGIC 4
#define RF_BLK_TYPE 5
#define RF_BLK_METER 6
#define RF_BLK_VALUE 8
#define RF_BLK_REC0 9
#define RF_BLK_REC1 10
#define RF_BLK_MDATA 12
#define RF_BLK_MDMAC 13
#define RF_UID_MAX 7
#define RF_KEY_LEN 6
#define RF_MAC_LEN 8
#define RF_METER_MAX 16
#define RF_COUNTER_MAX 0xFFFFu
#define RF_SEQUENCE_MAX UINT64_C(0xFFFFFFFFFFFF)
#define RF_MSG_MAX (4 + 1 + RF_UID_MAX + 3 * RF_BLOCK + 8 + 4)

/* Access conditions (C1 C2 C3 as a 3-bit number) this layout uses. */
#define RF_AC_DATA_TRANSPORT 0 /* 000 read A|B, write A|B */
#define RF_AC_DATA_READONLY 2  /* 010 read A|B, never written */
#define RF_AC_DATA_WRITE_B 4   /* 100 read A|B, write B */
#define RF_AC_TRAILER_A 1      /* 001 key A rewrites the trailer (transport) */
#define RF_AC_TRAILER_B 3      /* 011 key B rewrites the trailer */

/* The ATR a PC/SC reader builds for a MIFARE Classic 1K (PC/SC part 3,
   3.1.3.2.3, and its supplemental document: standard 03 = ISO/IEC 14443-A
   part 3, card name 00 01 = MIFARE Classic 1K). */
#define RF_ATR_LEN 20
extern const uint8_t rf_atr[RF_ATR_LEN];

enum rf_id_rc { RF_ID_OK = 0, RF_ID_NOT_OURS = -1, RF_ID_BAD = -2 };

struct rf_identity {
    uint8_t kind;
    char type[16];
    char meter[RF_METER_MAX + 1];
};

struct rf_record {
    uint16_t counter;
    uint64_t sequence; /* 48 bits */
    uint8_t mac[RF_MAC_LEN];
};

struct rf_mdata {
    uint16_t tamper;
    uint16_t loaded_counter;
    uint32_t remaining;
    uint32_t time;
};

/* Blocks 4, 5, 6: 48 bytes at id / out. */
int rf_identity_parse(const uint8_t *id, struct rf_identity *out);
int rf_identity_encode(const struct rf_identity *id, uint8_t *out);

/* 0, or -1 when the copies disagree (a torn or altered block). */
int rf_value_parse(const uint8_t b[RF_BLOCK], int32_t *value, uint8_t *addr);
void rf_value_encode(int32_t value, uint8_t addr, uint8_t b[RF_BLOCK]);

void rf_record_parse(const uint8_t b[RF_BLOCK], struct rf_record *r);
void rf_record_encode(const struct rf_record *r, uint8_t b[RF_BLOCK]);
/* The message a record's MAC covers. */
size_t rf_record_msg(const uint8_t *uid, size_t uid_len, const uint8_t *id,
                     const uint8_t rec[RF_BLOCK], const uint8_t value_block[RF_BLOCK],
                     uint8_t out[RF_MSG_MAX]);

/* 0 (version 1), 1 (version 0: no meter data yet), -1. */
int rf_mdata_parse(const uint8_t b[RF_BLOCK], struct rf_mdata *m);
void rf_mdata_encode(const struct rf_mdata *m, uint8_t b[RF_BLOCK]);
size_t rf_mdata_msg(const uint8_t *uid, size_t uid_len, const uint8_t b[RF_BLOCK],
                    uint8_t out[RF_MSG_MAX]);

/* The diversifier of a sector's keys: UID || sector. Returns its length. */
size_t rf_sector_serial(const uint8_t *uid, size_t uid_len, unsigned sector, uint8_t out[8]);

/* Access bits: c[i] = C1 C2 C3 of block i of the sector (i = 3: trailer).
   encode writes trailer bytes 6..8; decode checks the inverted copies. */
void rf_access_encode(const uint8_t c[4], uint8_t out[3]);
int rf_access_decode(const uint8_t in[3], uint8_t c[4]);

#endif
