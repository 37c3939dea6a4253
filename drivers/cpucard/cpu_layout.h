/*
 * cpu_layout.h — the univend CPU user card: application, files, records, and
 * what each MAC covers. Shared by the driver (drivers/cpucard) and the card
 * simulator's emulation and meter (tests/cardsim/card_cpu.c), which is where
 * the commands are described. Numbers are big-endian.
 *
 * Application: AID F0 55 56 45 4E 44 43 50 55 30 31 ("\xF0UVENDCPU01",
 * proprietary), DF 1000 under the MF 3F00. Transparent EFs:
 *
 * EF 0001 (SFI 1) identification, 56 bytes, read always, written only by the
 * issuing station:
 *    0  layout version, 1            1  alg: 1 3des, 2 aes, 3 sm4
 *    2  key version                  3  credit kind (uv_credit_kind; 0 = Wh)
 *    4  card serial, 8 bytes        12  meter number, ASCII, NUL padded (16)
 *   28  meter type code, ASCII, NUL padded (16)
 *   44  0 (4 bytes)                 48  MAC: CMAC8(Kc, 04 || bytes 0..47)
 *
 * EF 0002 (SFI 2) purchase, 40 bytes, read always, written only with the
 * card's MAC after EXTERNAL AUTHENTICATE, and only with a higher counter:
 *    0  layout version, 1
 *    1  status: 0 none yet, 1 credit to load, 2 cancelled (refunded)
 *    2  credit kind                  3  0
 *    4  purchase counter (4)         8  sequence: the kiosk's request (8)
 *   16  credit to load (8), in the kind's unit: this purchase and any
 *       earlier one the meter had not loaded yet
 *   24  this purchase's own credit (8)
 *   32  MAC by the kiosk for the meter: CMAC8(Km, 10 || serial || bytes 0..31)
 *
 * EF 0003 (SFI 3) meter return, 40 bytes, read always, written by the meter
 * (the card takes it only with a higher return counter):
 *    0  layout version, 1            1  status: 0 the meter never wrote, 1 written
 *    2  0 (2)                        4  loaded counter: last purchase loaded (4)
 *    8  return counter (4)          12  tamper flags (4), CPU_TAMPER_*
 *   16  remaining credit (8)        24  meter time, Unix seconds (8)
 *   32  MAC by the meter: CMAC8(Km, 20 || serial || bytes 0..31)
 *
 * Keys, derived as docs/cards.md says: Kc = derive(card master, alg, serial),
 * the card's own key; Km = derive(meter master, alg, meter number as ASCII),
 * the meter's own key. CMAC8 = the first 8 bytes of the CMAC.
 * Authentication (RND.IFD from the kiosk, RND.ICC from GET CHALLENGE):
 *   INTERNAL AUTHENTICATE answer  CMAC8(Kc, 01 || serial || RND.IFD)
 *   EXTERNAL AUTHENTICATE data    CMAC8(Kc, 02 || serial || RND.ICC)
 *   MAC of a protected write      CMAC8(Kc, 03 || serial || RND.ICC ||
 *                                       CLA INS P1 P2 Lc || data)
 */
#ifndef UV_CPU_LAYOUT_H
#define UV_CPU_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define CPU_AID_LEN 11
extern const uint8_t cpu_aid[CPU_AID_LEN];
#define CPU_ATR_LEN 16
extern const uint8_t cpu_atr[CPU_ATR_LEN];

#define CPU_FID_MF 0x3F00u
#define CPU_FID_DF 0x1000u
#define CPU_SFI_ID 1u
#define CPU_SFI_PURCHASE 2u
#define CPU_SFI_RETURN 3u /* EF FIDs are 0001, 0002, 0003 */

#define CPU_SERIAL_LEN 8
#define CPU_TEXT_LEN 16   /* meter number and type code fields        */
#define CPU_MAC_LEN 8
#define CPU_RND_LEN 8
#define CPU_ID_LEN 56
#define CPU_ID_BODY 48
#define CPU_REC_LEN 40    /* purchase and return records              */
#define CPU_REC_BODY 32
#define CPU_LAYOUT_VERSION 1

/* MAC domains: the first byte of every MAC input. */
#define CPU_DOM_INTERNAL 0x01
#define CPU_DOM_EXTERNAL 0x02
#define CPU_DOM_WRITE 0x03
#define CPU_DOM_ID 0x04
#define CPU_DOM_PURCHASE 0x10
#define CPU_DOM_RETURN 0x20

/* Commands. */
#define CPU_CLA 0x00
#define CPU_CLA_MAC 0x04 /* proprietary secure messaging: MAC appended */
#define CPU_INS_SELECT 0xA4
#define CPU_INS_READ_BINARY 0xB0
#define CPU_INS_UPDATE_BINARY 0xD6
#define CPU_INS_GET_CHALLENGE 0x84
#define CPU_INS_INTERNAL_AUTH 0x88
#define CPU_INS_EXTERNAL_AUTH 0x82

#define CPU_PURCHASE_NONE 0
#define CPU_PURCHASE_CREDIT 1
#define CPU_PURCHASE_CANCELLED 2

/* Tamper flags a meter reports. */
#define CPU_TAMPER_COVER 0x01u    /* terminal cover opened   */
#define CPU_TAMPER_MAGNET 0x02u   /* magnetic interference   */
#define CPU_TAMPER_REVERSE 0x04u  /* reverse energy flow     */
#define CPU_TAMPER_BYPASS 0x08u   /* current bypass (earth/neutral imbalance) */
#define CPU_TAMPER_KNOWN 0x0Fu

/* Largest credit a record carries (the host's amounts are far below). */
#define CPU_CREDIT_MAX UINT64_C(1000000000000)

struct cpu_id {
    uint8_t alg, key_version, kind;
    uint8_t serial[CPU_SERIAL_LEN];
    char meter[CPU_TEXT_LEN];     /* NUL-terminated, 1..15 */
    char type_code[CPU_TEXT_LEN]; /* NUL-terminated, 1..15 */
    uint8_t mac[CPU_MAC_LEN];
};

struct cpu_purchase {
    uint8_t status, kind;
    uint32_t counter;
    uint64_t sequence, total, added;
    uint8_t mac[CPU_MAC_LEN];
};

struct cpu_return {
    uint8_t status;
    uint32_t loaded, ret_counter, tamper;
    uint64_t remaining, time;
    uint8_t mac[CPU_MAC_LEN];
};

/* Parse results. */
enum cpu_parse {
    CPU_PARSE_OK = 0,
    CPU_PARSE_LENGTH,  /* not the record's length                     */
    CPU_PARSE_VERSION, /* a layout version this code does not know    */
    CPU_PARSE_FIELD,   /* a field out of its range                    */
    CPU_PARSE_TEXT     /* meter number or type code not printable/terminated */
};
const char *cpu_parse_text(int rc);

int cpu_id_parse(const uint8_t *b, size_t n, struct cpu_id *out);
int cpu_purchase_parse(const uint8_t *b, size_t n, struct cpu_purchase *out);
int cpu_return_parse(const uint8_t *b, size_t n, struct cpu_return *out);
/* Encoders write the whole record, MAC field included from the struct. */
void cpu_id_encode(const struct cpu_id *in, uint8_t out[CPU_ID_LEN]);
void cpu_purchase_encode(const struct cpu_purchase *in, uint8_t out[CPU_REC_LEN]);
void cpu_return_encode(const struct cpu_return *in, uint8_t out[CPU_REC_LEN]);

/* A meter number the card can carry: 1..15 of 0-9 A-Z a-z . _ - */
int cpu_meter_valid(const char *s);
/* A type code: 1..15 of A-Z 0-9 . _ - */
int cpu_type_valid(const char *s);

/* MAC inputs; each returns the length written to out. */
#define CPU_MAC_IN_MAX (1 + CPU_SERIAL_LEN + CPU_RND_LEN + 5 + 255)
size_t cpu_mac_in_auth(uint8_t dom, const uint8_t serial[CPU_SERIAL_LEN],
                       const uint8_t rnd[CPU_RND_LEN], uint8_t *out);
size_t cpu_mac_in_write(const uint8_t serial[CPU_SERIAL_LEN], const uint8_t rnd[CPU_RND_LEN],
                        const uint8_t header[5], const uint8_t *data, size_t len, uint8_t *out);
size_t cpu_mac_in_id(const uint8_t rec[CPU_ID_LEN], uint8_t *out);
size_t cpu_mac_in_record(uint8_t dom, const uint8_t serial[CPU_SERIAL_LEN],
                         const uint8_t rec[CPU_REC_LEN], uint8_t *out);

/* n bytes equal, compared in constant time: 1 if so. */
int cpu_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* Big-endian helpers. */
uint32_t cpu_be32(const uint8_t *p);
uint64_t cpu_be64(const uint8_t *p);
void cpu_put32(uint8_t *p, uint32_t v);
void cpu_put64(uint8_t *p, uint64_t v);

#endif
