/*
 * logic_layout.h — what univend keeps on a logic-encryption memory card
 * (SLE4442 style: 256 bytes of EEPROM, the first 32 write-once by their
 * protection bits, writes only after the 3-byte programmable security code
 * (PSC) is presented, 3 tries). Shared by the driver and the simulator.
 *
 *   0x00  4  the chip's own header (A2 13 10 91 on an SLE4442)     protected
 *   0x04  4  magic "UVLC"                                          protected
 *   0x08  1  layout version, 1                                     protected
 *   0x09  1  credit kind (enum uv_credit_kind)                     protected
 *   0x0A  1  n, card serial length, 1..15                          protected
 *   0x0B 15  card serial (n bytes, then zeros)                     protected
 *   0x1A  6  zero                                                  protected
 *   0x20 16  meter type code, 1..15 of A-Z 0-9 . _ -, NUL-padded
 *   0x30 32  meter number, 1..31 of A-Z a-z 0-9 . _ -, NUL-padded
 *   0x50 32  credit record, slot 0
 *   0x70 32  credit record, slot 1
 *   0x90 32  meter data (written by the meter)
 *   0xB0     free
 *
 * Credit record (32 bytes); the valid slot with the higher counter is the
 * card's credit, and a new record goes to the other slot, so a write torn by
 * a pulled card leaves the previous record in force:
 *   0  1  version, 1
 *   1  1  flags: 0x01 written by the meter (it took the credit)
 *   2  2  zero
 *   4  4  purchase counter, big-endian: +1 at every write (kiosk or meter)
 *   8  8  sequence: the kiosk receipt number of the last purchase
 *  16  8  credit on the card not yet loaded into the meter (unit of kind)
 *  24  8  CMAC-8 under the card key of "UVCR" || bytes 0x04..0x4F || bytes 0..23
 *
 * Meter data (32 bytes), version 0 while the card has not been to a meter:
 *   0  1  version, 1
 *   1  1  zero
 *   2  2  tamper flags (1 cover opened, 2 magnetic field, 4 reverse current,
 *         8 bypass)
 *   4  4  counter of the last record the meter took
 *   8  8  credit remaining in the meter (unit of kind)
 *  16  8  meter clock, Unix seconds
 *  24  8  CMAC-8 of "UVMD" || bytes 0x04..0x4F || bytes 0..23
 *
 * Card key = derive(master, alg, serial) (docs/cards.md); the PSC is the
 * first 3 bytes of CMAC(card key, "UVPSC"), so every card has its own code
 * and a kiosk never stores one.
 */
#ifndef UV_LOGIC_LAYOUT_H
#define UV_LOGIC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define LC_MEM_SIZE 256
#define LC_PROTECTED 32 /* bytes covered by protection bits */
#define LC_OFF_MAGIC 0x04
#define LC_OFF_VERSION 0x08
#define LC_OFF_KIND 0x09
#define LC_OFF_SERIAL_LEN 0x0A
#define LC_OFF_SERIAL 0x0B
#define LC_OFF_TYPE 0x20
#define LC_OFF_METER 0x30
#define LC_OFF_REC0 0x50
#define LC_OFF_REC1 0x70
#define LC_OFF_MDATA 0x90
#define LC_USED 0xB0 /* the driver reads bytes 0..LC_USED-1 */
#define LC_ID_START LC_OFF_MAGIC
#define LC_ID_END LC_OFF_REC0 /* the identity bound into every MAC */
#define LC_REC_LEN 32
#define LC_MAC_LEN 8
#define LC_PSC_LEN 3
#define LC_SERIAL_MAX 15
#define LC_MSG_MAX (4 + (LC_ID_END - LC_ID_START) + 24)

#define LC_REC_METER 0x01 /* flags: record written by the meter */

/* The card's Answer To Reset as a PC/SC reader presents a storage card (PC/SC
   part 3, 3.1.3.2.3): RID A0 00 00 03 06, standard 0F = ISO/IEC 7816-10
   two-wire bus protocol (the SLE4442's), card name 00 00 (the Part 3
   supplemental document names no 2WBP card), TCK 67. */
#define LC_ATR_LEN 20
extern const uint8_t lc_atr[LC_ATR_LEN];
/* The chip's own 4 bytes at address 0 (ISO/IEC 7816-10 synchronous ATR). */
extern const uint8_t lc_chip_header[4];

enum lc_id_rc { LC_ID_OK = 0, LC_ID_NOT_OURS = -1, LC_ID_BAD = -2 };

struct lc_identity {
    uint8_t serial[LC_SERIAL_MAX];
    size_t serial_len;
    uint8_t kind;
    char type[16];
    char meter[32];
};

struct lc_record {
    uint8_t flags;
    uint32_t counter;
    uint64_t sequence;
    uint64_t amount;
    uint8_t mac[LC_MAC_LEN];
};

struct lc_mdata {
    uint16_t tamper;
    uint32_t loaded_counter;
    uint64_t remaining;
    uint64_t time;
    uint8_t mac[LC_MAC_LEN];
};

/* Identity at 0x04..0x4F of mem (at least LC_ID_END bytes). LC_ID_NOT_OURS:
   no magic (blank, or another system's card); LC_ID_BAD: our magic but a
   version or field this code does not accept. */
int lc_identity_parse(const uint8_t *mem, size_t len, struct lc_identity *id);
/* Writes bytes 0x04..0x4F; 0, or -1 if a field is invalid. */
int lc_identity_encode(const struct lc_identity *id, uint8_t mem[LC_MEM_SIZE]);

/* 0, or -1 if the 32 bytes are not a version-1 record. */
int lc_record_parse(const uint8_t rec[LC_REC_LEN], struct lc_record *r);
void lc_record_encode(const struct lc_record *r, uint8_t rec[LC_REC_LEN]);
/* 0 (a version-1 block), 1 (version 0: no meter data yet), or -1. */
int lc_mdata_parse(const uint8_t md[LC_REC_LEN], struct lc_mdata *m);
void lc_mdata_encode(const struct lc_mdata *m, uint8_t md[LC_REC_LEN]);

/* The message a record's (tag "UVCR") or the meter data's (tag "UVMD") MAC
   covers: tag || mem[0x04..0x4F] || block[0..23]. Returns its length. */
size_t lc_mac_msg(const char tag[4], const uint8_t *mem, const uint8_t block[LC_REC_LEN],
                  uint8_t out[LC_MSG_MAX]);

/* The message whose CMAC gives the PSC. */
#define LC_PSC_MSG "UVPSC"

#endif
