/*
 * memcard_card.h — the plain memory card's layout: parsing and building its
 * three areas, and checking the reader's answers. No I/O and no keys beyond
 * what is passed in, so the unit tests and the fuzzer reach all of it.
 *
 * The card is 256 bytes of EEPROM with no protection of its own, read and
 * written with the reader's storage-card pseudo-APDUs (PC/SC part 3):
 *   READ BINARY    FF B0 addrH addrL Le      -> data || 90 00
 *   UPDATE BINARY  FF D6 addrH addrL Lc data -> 90 00
 * Its ATR is the PC/SC part 3 storage-card ATR, standard byte 0x0D
 * (ISO 7816-10 I2C), card name 00 00: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 0D 00 00
 * 00 00 00 00 65 (the last byte is TCK). Drivers match it ignoring the card name.
 *
 *   0x00  identification, 64 bytes, written once by the issuing station
 *         0..3 "UVMC"  4 layout version (1)  5 reserved
 *         6..12  serial (7 bytes)
 *         13..28 meter number (text, NUL padded, 1..16 of A-Z a-z 0-9 . _ -)
 *         29..44 meter type code (text, NUL padded, 1..15 of A-Z 0-9 . _ -)
 *         45..52 MAC: CMAC(card key, bytes 0..44), first 8 bytes
 *         53..63 zero
 *   0x40  credit record, 32 bytes, written by the kiosk
 *         0 version (1)  1..3 zero
 *         4..11 amount not yet taken by the meter, Wh (big endian)
 *         12..19 sequence: the kiosk's receipt number of the last credit
 *         20..23 counter: +1 on every credit written
 *         24..31 MAC: CMAC(card key, "CR" || bytes 0..23), first 8 bytes
 *   0x60  meter record, 32 bytes, written by the meter; all zero: none yet
 *         0 version (1)  1 flags (bit 0: the credit of `loaded` was taken)
 *         2..3 zero  4..11 loaded: sequence of the last credit the meter took
 *         12..19 remaining credit in the meter, Wh  20..23 tamper bits
 *         24..31 MAC: CMAC(card key, "MR" || bytes 0..23), first 8 bytes
 *
 * The card key is derived from the utility's master key and the serial
 * (docs/cards.md). The counter is shadowed in the kiosk's store, so a card
 * copied or rolled back to an older record is caught.
 */
#ifndef UV_MEMCARD_CARD_H
#define UV_MEMCARD_CARD_H

#include <stddef.h>
#include <stdint.h>

#define MC_SIZE 256
#define MC_IDENT 0x00
#define MC_IDENT_LEN 64
#define MC_CREDIT 0x40
#define MC_CREDIT_LEN 32
#define MC_METER 0x60
#define MC_METER_LEN 32
#define MC_USED 0x80 /* ident + credit + meter record: one read */
#define MC_SERIAL_LEN 7
#define MC_MAC_LEN 8
#define MC_MAGIC "UVMC"
#define MC_VERSION 1

/* The ATR and how drivers match it: the card name bytes are not looked at. */
#define MC_ATR_HEX "3B8F8001804F0CA0000003060D00000000000065"
#define MC_ATR_MASK_HEX "FFFFFFFFFFFFFFFFFFFFFFFFFF0000FFFFFFFF00"
#define MC_ATR_LEN 20

#define MC_TAMPER_COVER 0x01u  /* terminal cover opened     */
#define MC_TAMPER_MAGNET 0x02u /* magnetic field detected   */
#define MC_TAMPER_BYPASS 0x04u /* current bypass detected   */

struct mc_ident {
    uint8_t serial[MC_SERIAL_LEN];
    char meter[17];
    char type_code[16];
    uint8_t mac[MC_MAC_LEN];
};

struct mc_credit {
    uint64_t amount;
    uint64_t sequence;
    uint32_t counter;
    uint8_t mac[MC_MAC_LEN];
};

struct mc_meter {
    int present;            /* 0: the area is all zero, nothing reported */
    uint32_t flags;
    uint64_t loaded;
    uint64_t remaining;
    uint32_t tamper;
    uint8_t mac[MC_MAC_LEN];
};

enum mc_parse { MC_OK = 0, MC_FOREIGN = 1, MC_MALFORMED = 2 };

/* Parse an area (exactly its length). MC_FOREIGN: the identification does
   not start with our magic (not a card of this layout, or blank). */
int mc_ident_parse(const uint8_t *b, size_t n, struct mc_ident *out);
int mc_credit_parse(const uint8_t *b, size_t n, struct mc_credit *out);
int mc_meter_parse(const uint8_t *b, size_t n, struct mc_meter *out);

/* Build an area; mac_input gets the bytes the MAC covers (at most 40),
   returning their count, so the caller computes the MAC with its key and
   puts it in with mc_set_mac. */
void mc_ident_build(const struct mc_ident *in, uint8_t out[MC_IDENT_LEN]);
void mc_credit_build(const struct mc_credit *in, uint8_t out[MC_CREDIT_LEN]);
void mc_meter_build(const struct mc_meter *in, uint8_t out[MC_METER_LEN]);
size_t mc_ident_mac_input(const uint8_t area[MC_IDENT_LEN], uint8_t *in);
size_t mc_credit_mac_input(const uint8_t area[MC_CREDIT_LEN], uint8_t *in);
size_t mc_meter_mac_input(const uint8_t area[MC_METER_LEN], uint8_t *in);
#define MC_MAC_INPUT_MAX 48
/* Offset of the MAC inside an area. */
#define MC_IDENT_MAC_AT 45
#define MC_RECORD_MAC_AT 24

/* Text checks: meter numbers and type codes as the layout allows them. */
int mc_meter_number_ok(const char *s);
int mc_type_code_ok(const char *s);

/* A reader's answer to READ BINARY of `want` bytes: data then 90 00.
   Returns the status word; *data points into resp when it is 0x9000 and
   exactly want bytes came. */
unsigned mc_read_answer(const uint8_t *resp, size_t n, size_t want, const uint8_t **data);
/* The status word of any answer (0 when shorter than 2 bytes). */
unsigned mc_sw(const uint8_t *resp, size_t n);

/* Commands. Return the APDU length. */
size_t mc_cmd_read(uint16_t addr, uint8_t len, uint8_t cmd[5]);
size_t mc_cmd_update(uint16_t addr, const uint8_t *data, uint8_t len, uint8_t *cmd);

/* Driver state (uv_meter.state): the counter last written to this meter's
   card, shadowed in the kiosk's store. */
#define MC_STATE_LEN 12
struct mc_state {
    uint8_t serial[MC_SERIAL_LEN];
    uint32_t counter;
};
int mc_state_parse(const uint8_t *b, size_t n, struct mc_state *out); /* 0 or -1 */
size_t mc_state_build(const struct mc_state *s, uint8_t out[MC_STATE_LEN]);

/* The serial as text (14 hex digits) into out[15]. */
void mc_serial_text(const uint8_t serial[MC_SERIAL_LEN], char out[2 * MC_SERIAL_LEN + 1]);

#endif
