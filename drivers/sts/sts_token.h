/*
 * sts_token.h - IEC 62055-41 (STS) token data layout primitives.
 *
 * This module holds everything about an STS token that is not cryptography:
 * the TransferAmount encoding, the token CRC, the token identifier (TID),
 * the 64-bit data block, the class-bit transposition, the 66-bit <-> 20-digit
 * conversion and the meter-number (DRN) check digit.  The cryptographic parts
 * (DKGA02, EA07, EA09) live in sts_crypt.h.
 *
 * Conventions used throughout (they follow IEC 62055-41):
 *
 *  - Bits are numbered from the least significant bit, bit 0, upwards.  A
 *    64-bit block is held in a uint64_t so that "bit n" is (value >> n) & 1.
 *  - The 66-bit token is class(2) | subclass(4) | ... | crc(16), i.e. bits
 *    65..64 are the class before transposition.  It is held as sts_token66:
 *    hi carries bits 65..64, lo carries bits 63..0.
 *  - Byte strings (keys, DES blocks) are most significant byte first: byte 0
 *    holds bits 63..56.  A key written "0ABC12DEF3456789" is the bytes
 *    0x0A 0xBC ... 0x89, and as a number 0x0ABC12DEF3456789.
 *  - Amounts are integers in tenths of the service unit (0.1 kWh for
 *    electricity): no floating point anywhere.
 *
 * No function keeps state between calls; all are reentrant.  Every function
 * checks its arguments; functions returning sts_rc never crash on bad input,
 * functions that cannot return an error document what they do instead.
 */
#ifndef UNIVEND_STS_TOKEN_H
#define UNIVEND_STS_TOKEN_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    STS_OK = 0,
    STS_ERR_RANGE,       /* value outside what the field/standard can hold */
    STS_ERR_CRC,         /* CRC of a data block does not match */
    STS_ERR_FORMAT,      /* malformed text (token digits) or unsupported token */
    STS_ERR_CHECK_DIGIT, /* meter number check digit wrong */
    STS_ERR_CRYPTO,      /* libgcrypt failure or libgcrypt not initialised */
    STS_ERR_ARG          /* NULL pointer or parameter out of its domain */
} sts_rc;

/* Static English description of rc; never NULL (unknown codes give
 * "unknown error"). */
const char *sts_strerror(sts_rc rc);

/* ------------------------------------------------------------------------ */
/* TransferAmount (IEC 62055-41 6.3.6.2, SubClass 0..3)                      */
/* ------------------------------------------------------------------------ */

/* Largest representable amount, in tenths: exponent 3, mantissa 16383,
 * i.e. 1000*16383 + 16384*(1+10+100) = 18 201 624 (1 820 162.4 kWh). */
#define STS_AMOUNT_MAX_TENTHS UINT64_C(18201624)

/*
 * Encode an amount for the 16-bit Amount field: bits 15..14 are the base-10
 * exponent e, bits 13..0 the mantissa m, and the value represented is
 *
 *     t = 10^e * m + sum_{n=1..e} 2^14 * 10^(n-1)      (in tenths)
 *
 * The standard requires that "all TransferAmount conversions shall be
 * rounded up in favour of the customer", so this function ROUNDS UP: it
 * picks the smallest exponent whose range reaches `tenths` and the smallest
 * mantissa with t >= tenths.  It never rounds down or to nearest, because a
 * token must never deliver less than was paid for.  The error is below 10^e
 * tenths (at most 0.9, 9.9, 99.9 kWh for e = 1, 2, 3); amounts that fall in
 * the small gaps between exponent ranges (180215..180223 and
 * 1818525..1818623 tenths) round up to the first value of the next range.
 *
 * On success *out is the field and, if `represented` is not NULL, it gets the
 * value actually represented (>= tenths).  Returns STS_ERR_ARG if out is
 * NULL and STS_ERR_RANGE if tenths > STS_AMOUNT_MAX_TENTHS; on error *out
 * (and *represented) are set to 0.
 *
 * Only for SubClass 0..3 (service units).  Currency subclasses 4..7 use a
 * different, 5-bit exponent encoding that is not implemented here.
 */
sts_rc sts_amount_encode(uint64_t tenths, uint16_t *out, uint64_t *represented);

/* Value in tenths represented by an Amount field (formula above).  Every
 * 16-bit value is a valid field, so this cannot fail. */
uint64_t sts_amount_decode(uint16_t amount);

/* ------------------------------------------------------------------------ */
/* CRC (IEC 62055-41 6.3.7 and, for currency subclasses, 6.3.22 CRC_C)       */
/* ------------------------------------------------------------------------ */

/*
 * STS token CRC over `len` bytes, first byte first.  It is the CRC-16 with
 * generator polynomial x^16 + x^15 + x^2 + 1, processed least significant
 * bit first (reflected polynomial 0xA001), initial value 0xFFFF, no final
 * XOR -- the register value of CRC-16/MODBUS -- and returned with its two
 * bytes swapped, which is the value that occupies bits 15..0 of the STS data
 * block.  (Check value: "123456789" gives 0x374B, the byte-swap of the
 * CRC-16/MODBUS check value 0x4B37.)
 *
 * For a token the input is the 50 bits class..amount right-justified in 7
 * bytes (56 bits), most significant byte first; sts_block_build() does that.
 * A NULL buf is treated as an empty buffer (the result is then 0xFFFF).
 */
uint16_t sts_crc16(const uint8_t *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* TID: TokenIdentifier (IEC 62055-41 6.3.5)                                 */
/* ------------------------------------------------------------------------ */

#define STS_TID_MAX UINT32_C(0xFFFFFF)
/* Returned by sts_tid_to_unix() on bad input. */
#define STS_TIME_INVALID INT64_MIN

/*
 * TID = number of complete minutes elapsed from the base date (00:00:00 UTC
 * on 1 January of base_year) to unix_seconds; seconds are truncated.  The
 * base dates of the standard are 1993, 2014 and 2035; any other base_year
 * gives STS_ERR_ARG, as does a NULL tid.  Times before the base date or
 * 2^24 minutes or more after it (the 1993 range ends after 2024-11-24
 * 20:15 UTC) give STS_ERR_RANGE.  On error *tid is set to 0.
 */
sts_rc sts_tid_from_unix(int64_t unix_seconds, int base_year, uint32_t *tid);

/* Unix time of the start of minute `tid` after the base date, or
 * STS_TIME_INVALID if base_year is not 1993/2014/2035 or tid > STS_TID_MAX. */
int64_t sts_tid_to_unix(uint32_t tid, int base_year);

/* ------------------------------------------------------------------------ */
/* 64-bit data block (IEC 62055-41 6.2, Table 12 ff.)                         */
/* ------------------------------------------------------------------------ */

/*
 * Fields of a token.  For class 0 (TransferCredit) these are exactly the
 * token fields.  The class 1 and class 2 token formats differ only in the
 * 44 bits between SubClass and CRC (e.g. Control/MfrCode, or Register/Pad);
 * those 44 bits travel in rnd(4) | tid(24) | amount(16) -- see
 * sts_block_pack() for a layout-neutral interface.
 */
typedef struct {
    uint8_t  token_class; /* 2 bits: 0..3 */
    uint8_t  subclass;    /* 4 bits: 0..15 */
    uint8_t  rnd;         /* 4 bits: 0..15 */
    uint32_t tid;         /* 24 bits */
    uint16_t amount;      /* encoded Amount field (sts_amount_encode) */
    uint16_t crc;         /* output only: ignored by sts_block_build */
} sts_block_fields;

/* True when a class/subclass pair uses CRC_C rather than CRC: class 0
 * currency transfers, subclasses 4..7 (IEC 62055-41 6.3.22).  CRC_C is the
 * same CRC computed over the 7 bytes followed by one extra byte 0x01. */
bool sts_uses_crc_c(uint8_t token_class, uint8_t subclass);

/*
 * Layout-neutral block builder.  The block is
 *
 *     bits 63..60 subclass | bits 59..16 payload44 | bits 15..0 CRC
 *
 * with the CRC (or CRC_C, see sts_uses_crc_c) computed over the 50 bits
 * class | subclass | payload44, right-justified in 7 bytes.  The class is
 * not part of the 64-bit block (it is transposed in later), but it is part
 * of the CRC, so it is a parameter here.  STS_ERR_ARG on NULL block,
 * token_class > 3, subclass > 15 or payload44 >= 2^44 (*block set to 0).
 */
sts_rc sts_block_pack(uint8_t token_class, uint8_t subclass, uint64_t payload44,
                      uint64_t *block);

/* Inverse of sts_block_pack: splits the block and verifies its CRC.
 * subclass/payload44/crc may each be NULL if not wanted.  Returns
 * STS_ERR_ARG if token_class > 3, STS_ERR_CRC if the CRC does not match
 * (outputs are then set to 0). */
sts_rc sts_block_unpack(uint8_t token_class, uint64_t block, uint8_t *subclass,
                        uint64_t *payload44, uint16_t *crc);

/*
 * Builds the 64-bit data block subclass(4) | rnd(4) | tid(24) | amount(16) |
 * crc(16) (bit 63 down to bit 0), computing the CRC over class..amount as
 * IEC 62055-41 6.3.7 says (CRC_C for class 0 subclasses 4..7).  in->crc is
 * ignored.  STS_ERR_ARG on NULL pointers or a field wider than its bits.
 */
sts_rc sts_block_build(const sts_block_fields *in, uint64_t *block);

/* Splits a decrypted 64-bit block, given the class bits recovered from the
 * token, and verifies the CRC (STS_ERR_CRC on mismatch).  out->token_class
 * is set to token_class and out->crc to the CRC found in the block.  On any
 * error *out is zeroed. */
sts_rc sts_block_parse(uint8_t token_class, uint64_t block, sts_block_fields *out);

/* ------------------------------------------------------------------------ */
/* Class 2: meter specific management tokens (IEC 62055-41 6.2, Table 1)     */
/* ------------------------------------------------------------------------ */

/*
 * Class 2 subclasses.  Field layouts of the 64-bit data block below the
 * 4-bit SubClass (bit 63 down to bit 0, CRC over class..payload as usual):
 *
 *   0 SetMaximumPowerLimit   RND(4) TID(24) MPL(16)      CRC(16)  MPL in W,
 *                                                                 plain binary
 *   1 ClearCredit            RND(4) TID(24) Register(16) CRC(16)
 *   2 SetTariffRate          RND(4) TID(24) Rate(16)     CRC(16)
 *   3 Set1stSectionDecoderKey KENHO(4) KRN(4) RO(1) Res(1) KT(2) NKHO(32) CRC
 *   4 Set2ndSectionDecoderKey KENLO(4) TI(8) NKLO(32)    CRC(16)
 *   5 ClearTamperCondition   RND(4) TID(24) Pad(16)=0    CRC(16)
 *   6 SetMaximumPhasePowerUnbalanceLimit RND TID MPPUL(16) CRC
 *   7 SetWaterMeterFactor    RND(4) TID(24) WMFactor(16) CRC(16)
 *   8, 9 Set3rd/4thSectionDecoderKey (128-bit keys only; not built here)
 *
 * Subclasses 0-2 and 5-7 have the class 0 layout, so they travel in
 * sts_block_fields as they are (the 16-bit value in `amount`).  The key
 * change pair (3 and 4) carries no TID; sts_keychange_pack() and
 * sts_keychange_unpack() map it onto the same 44 payload bits.
 *
 * The 64-bit new DecoderKey is split NKHO = its most significant 32 bits
 * (bytes 0-3 as held here), NKLO = its least significant 32 bits.  Both
 * tokens are encrypted under the CURRENT DecoderKey, like any class 2 token.
 * KEN (KeyExpiryNumber, 8 bits) is split into KENHO (bits 7..4, in the first
 * token) and KENLO (bits 3..0, in the second); 255 means "never expires".
 * RO = 1 marks a roll-over key change: the meter clears its TID memory (the
 * base date moves on, e.g. 1993 -> 2014).  Res must be 0.
 */
enum {
    STS_C2_SET_MAX_POWER_LIMIT = 0,
    STS_C2_CLEAR_CREDIT = 1,
    STS_C2_SET_TARIFF_RATE = 2,
    STS_C2_SET_1ST_SECTION_KEY = 3,
    STS_C2_SET_2ND_SECTION_KEY = 4,
    STS_C2_CLEAR_TAMPER = 5,
    STS_C2_SET_MAX_PHASE_UNBALANCE = 6,
    STS_C2_SET_WATER_METER_FACTOR = 7,
    STS_C2_SET_3RD_SECTION_KEY = 8,
    STS_C2_SET_4TH_SECTION_KEY = 9
};

/* ClearCredit Register values: one credit register, or all of them. */
#define STS_REGISTER_ELECTRICITY 0x0000u
#define STS_REGISTER_WATER 0x0001u
#define STS_REGISTER_GAS 0x0002u
#define STS_REGISTER_TIME 0x0003u
#define STS_REGISTER_ALL 0xFFFFu

/* The content of a Set1st/Set2ndSectionDecoderKey pair. */
typedef struct {
    uint8_t ken;          /* KeyExpiryNumber of the new key, 0..255      */
    uint8_t krn;          /* new KeyRevisionNumber, 1..9 (4 bits)        */
    uint8_t ro;           /* roll-over key change: 0 or 1                */
    uint8_t kt;           /* new KeyType, 0..3 (2 bits)                  */
    uint8_t ti;           /* new TariffIndex, 0..99 (8 bits)             */
    uint8_t new_key[8];   /* the new DecoderKey, most significant byte first */
} sts_keychange;

/*
 * Builds the fields of the two key change tokens (class 2, subclasses 3
 * and 4), ready for sts_token_encode() under the current DecoderKey.
 * STS_ERR_ARG on NULL pointers, krn outside 1..15, ro > 1, kt > 3; on error
 * both outputs are zeroed.  The outputs hold key material: wipe them.
 */
sts_rc sts_keychange_pack(const sts_keychange *kc, sts_block_fields *first,
                          sts_block_fields *second);

/*
 * Reads one token of the pair back into kc: a subclass 3 block fills ken
 * bits 7..4, krn, ro, kt and new_key bytes 0-3 (*res gets the Res bit);
 * a subclass 4 block fills ken bits 3..0, ti and new_key bytes 4-7.  The
 * other members are left as they are, so the two calls on one kc rebuild
 * the whole pair.  STS_ERR_ARG on NULL kc/f or a block that is not class 2
 * subclass 3 or 4.  res may be NULL.
 */
sts_rc sts_keychange_unpack(const sts_block_fields *f, sts_keychange *kc, uint8_t *res);

/* ------------------------------------------------------------------------ */
/* 66-bit token number and class-bit transposition (IEC 62055-41 6.4)        */
/* ------------------------------------------------------------------------ */

/* 66-bit token number: hi holds bits 65..64 (0..3), lo bits 63..0. */
typedef struct {
    uint8_t  hi;
    uint64_t lo;
} sts_token66;

/*
 * Class-bit transposition.  The two class bits are not encrypted.  To form
 * the 66-bit token, bits 28 and 27 of the encrypted 64-bit block are moved
 * to token bits 65 and 64, and class bit 1 / class bit 0 are put in token
 * bits 28 / 27.  Only the two low bits of token_class are used (callers are
 * expected to have validated it; the pipeline functions do).
 */
sts_token66 sts_insert_class(uint64_t encrypted_block, uint8_t token_class);

/* Inverse: class = token bits 28..27; block = token bits 63..0 with bits
 * 28/27 restored from token bits 65/64.  Only the two low bits of t.hi are
 * used.  Either output pointer may be NULL (that output is skipped). */
void sts_extract_class(sts_token66 t, uint64_t *encrypted_block, uint8_t *token_class);

/*
 * The token as 20 decimal digits, most significant first, zero padded,
 * NUL-terminated (21 bytes).  If t.hi > 3 (not a 66-bit number) out is set
 * to the empty string.  Does nothing if out is NULL.
 */
void sts_token_to_digits(sts_token66 t, char out[21]);

/*
 * Parses a token number.  Accepts exactly 20 decimal digits, optionally
 * separated by spaces and/or dashes ("1234-5678-..." or "1234 5678 ...").
 * Any other character, or a digit count other than 20, gives STS_ERR_FORMAT;
 * a value >= 2^66 gives STS_ERR_RANGE; NULL pointers give STS_ERR_ARG.  On
 * error *out is zeroed.
 */
sts_rc sts_token_from_digits(const char *text, sts_token66 *out);

/* ------------------------------------------------------------------------ */
/* Meter numbers: DRN with Luhn check digit (IEC 62055-41 6.1.x, ISO 7812)   */
/* ------------------------------------------------------------------------ */

/* True if drn is 11 or 13 decimal digits (nothing else) whose last digit is
 * the Luhn check digit of the others.  False for NULL. */
bool sts_drn_valid(const char *drn);

/* Luhn check digit ('0'..'9') for a DRN without its check digit, i.e. 10 or
 * 12 decimal digits; returns 0 (NUL) on any other input, including NULL. */
char sts_drn_check_digit(const char *drn_without_check);

/* Luhn (ISO/IEC 7812-1) check digit of 1..32 decimal digits, e.g. for the
 * MeterPAN (IIN + DRN); returns 0 on bad input. */
char sts_luhn_check_digit(const char *digits);

#ifdef __cplusplus
}
#endif

#endif /* UNIVEND_STS_TOKEN_H */
