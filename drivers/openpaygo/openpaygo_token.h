/*
 * openpaygo_token.h — the OpenPAYGO Token algorithm (v2.3 of the open token
 * standard for pay-as-you-go devices, EnAccess / Solaris Offgrid), without
 * I/O and without globals.
 *
 * A device holds a 16-byte secret key, a 9-digit starting code and a token
 * count. A token is the starting code, with its last three digits replaced
 * by (starting code base + value) mod 1000, passed `count` times through
 * the code generation function (SipHash-2-4 of the 32-bit code written
 * twice, big-endian; the two 32-bit halves of the hash XORed, the top two
 * bits dropped, values above 999,999,999 reduced by 73,741,825) and masked
 * again with that base. Even counts carry ADD tokens, odd counts SET,
 * PAYG-disable (value 998) and counter-sync (value 999) tokens; a new token
 * takes the next count of the right parity (+1 or +2).
 *
 * Formats: standard (9 digits, values 0..999), extended (12 digits, values
 * 0..999,999, 64-bit code chain; a device-specific format the standard does
 * not fix) and, for each, the restricted digit set (every digit 1..4 carries
 * two bits: 15 or 20 digits).
 *
 * Decoding follows the standard's window: a device searches counts up to
 * its last count + 64 (+ 100 for counter-sync tokens); it accepts a count
 * above its last one, or an unused ADD token up to 16 counts older.
 */
#ifndef OPENPAYGO_TOKEN_H
#define OPENPAYGO_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define OPG_KEY_LEN 16
#define OPG_STARTING_CODE_MAX 999999999u
#define OPG_MAX_TOKEN_JUMP 64u
#define OPG_MAX_TOKEN_JUMP_COUNTER_SYNC 100u
#define OPG_MAX_UNUSED_OLDER_TOKENS 16u
/* The reference device decoder keeps its count in 16 bits. */
#define OPG_COUNT_MAX 65535u
#define OPG_MAX_ACTIVATION_VALUE 995u        /* standard ADD/SET values   */
#define OPG_MAX_ACTIVATION_VALUE_EXT 999999u /* extended ADD/SET values   */
#define OPG_PAYG_DISABLE_VALUE 998u
#define OPG_COUNTER_SYNC_VALUE 999u
#define OPG_TOKEN_TEXT_MAX 20 /* longest token: extended, restricted digits */

typedef enum opg_rc {
    OPG_OK = 0,
    OPG_ERR_ARG,      /* NULL pointer, bad flag, buffer too small          */
    OPG_ERR_RANGE,    /* value, count or starting code out of range        */
    OPG_ERR_FORMAT,   /* token text is not a token of the given format     */
    OPG_ERR_INVALID,  /* no count in the window gives this token           */
    OPG_ERR_USED      /* the token is genuine but its count is no longer accepted */
} opg_rc;

typedef enum opg_type {
    OPG_ADD = 1,          /* ADD_TIME / ADD_CREDIT                   */
    OPG_SET = 2,          /* SET_TIME / SET_CREDIT                   */
    OPG_DISABLE_PAYG = 3, /* value 998: PAYG off, device unlocked for good */
    OPG_COUNTER_SYNC = 4  /* value 999                               */
} opg_type;

/* A device's token configuration. Holds the key: wipe it after use. */
typedef struct opg_device {
    uint8_t key[OPG_KEY_LEN];
    uint32_t starting_code; /* 0..999,999,999                          */
    int extended;           /* 0: 9-digit tokens; 1: 12-digit tokens    */
    int restricted;         /* 1: digits 1..4 only (15 or 20 digits)    */
} opg_device;

typedef struct opg_token {
    opg_type type;
    uint32_t value; /* activation value (998/999 for disable/sync)       */
    uint32_t count; /* the token's count                                  */
} opg_token;

const char *opg_strerror(opg_rc rc);

/* SipHash-2-4 (Aumasson & Bernstein, 2012) of msg under a 128-bit key; the
   64-bit result as the paper defines it (v0^v1^v2^v3). */
opg_rc opg_siphash24(const uint8_t key[OPG_KEY_LEN], const void *msg, size_t len, uint64_t *out);

/* The standard's starting code derived from the key (SipHash-2-4 of the key
   under itself, reduced like a token), for devices set up that way. */
opg_rc opg_starting_code_from_key(const uint8_t key[OPG_KEY_LEN], uint32_t *out);

/* One step of the code chain: standard (9-digit) and extended (12-digit). */
opg_rc opg_next_code(const uint8_t key[OPG_KEY_LEN], uint32_t code, uint32_t *out);
opg_rc opg_next_code_ext(const uint8_t key[OPG_KEY_LEN], uint64_t code, uint64_t *out);

/* The count a new token of this type takes after `count`: the next even
   count for ADD, the next odd count otherwise. OPG_ERR_RANGE past
   OPG_COUNT_MAX. */
opg_rc opg_next_count(uint32_t count, opg_type type, uint32_t *new_count);

/* Generate a token. For ADD/SET, value is 0..995 (extended 0..999,999);
   for DISABLE_PAYG and COUNTER_SYNC it must be 0 (the value is implied).
   `count` is the count of the last token; *new_count receives the count of
   this one. out gets the NUL-terminated digits (cap >= 21 always enough). */
opg_rc opg_generate(const opg_device *dev, uint32_t count, opg_type type, uint32_t value,
                    uint32_t *new_count, char *out, size_t cap);

/* Parse token text of the device's format into the integer the algorithm
   works on (for the restricted set: the 30- or 40-bit value). Exactly 9, 12,
   15 or 20 characters of the right digits; nothing else. */
opg_rc opg_parse(const opg_device *dev, const char *text, uint64_t *token);

/* Search counts [min_count, max_count] (count 0, the starting code itself,
   is never a token) for the lowest count whose code is this token. On success *out has the type (from the count's parity and the
   value), value and count. OPG_ERR_INVALID if none matches. max_count is
   capped at OPG_COUNT_MAX + OPG_MAX_TOKEN_JUMP_COUNTER_SYNC. */
opg_rc opg_find(const opg_device *dev, const char *text, uint32_t min_count,
                uint32_t max_count, opg_token *out);

/* The device side, as the standard's decoder does it. *max_count is the
   highest count accepted so far (1 on a new device); *used is a bitmap of
   older counts already used: bit i stands for count *max_count - 1 - i
   (i < 16). On success both are updated. OPG_ERR_USED when the token is
   genuine but already used or too old; OPG_ERR_INVALID otherwise. */
opg_rc opg_device_decode(const opg_device *dev, const char *text, uint32_t *max_count,
                         uint16_t *used, opg_token *out);

#endif
