/*
 * cardkey.h — card keys and MACs as docs/cards.md defines them, for card
 * drivers and the card simulator (both compile cardkey.c in; it needs only
 * libgcrypt and this header).
 *
 *   derive(master, alg, serial): D = serial || 0x80 || 0x00... to a whole
 *   number of cipher blocks (serial 1..15 bytes: D is one block for aes and
 *   sm4, one or two for 3des);
 *     3des: L || R, L the last block of 3DES-CBC(master, IV 0, D), R the same
 *           over D xor FF..FF; with one block (serial of at most 7 bytes)
 *           3DES-ECB(master, D) || 3DES-ECB(master, D xor FF..FF)  (16 bytes)
 *     aes:  AES-128-ECB(master, D)                                 (16 bytes)
 *     sm4:  SM4-ECB(master, D)                                     (16 bytes)
 *   MACs: CMAC (NIST SP 800-38B) with the same cipher, 8 bytes for 3des and
 *   16 for aes and sm4; callers truncate where a card layout says so.
 * Keys are 16 bytes for every algorithm (3des: two-key, K1 K2 K1).
 */
#ifndef UV_CARDKEY_H
#define UV_CARDKEY_H

#include <stddef.h>
#include <stdint.h>

#define CARDKEY_LEN 16
#define CARDKEY_MAC_MAX 16
#define CARDKEY_SERIAL_MAX 15 /* longest serial (diversifier) derive takes */

enum cardkey_alg { CARDKEY_3DES = 1, CARDKEY_AES = 2, CARDKEY_SM4 = 3 };

/* "3des", "aes", "sm4" -> the algorithm; 0 for anything else. */
int cardkey_alg_parse(const char *name);
const char *cardkey_alg_name(int alg);
/* Block size (8 or 16) and full CMAC length of an algorithm; 0 if unknown. */
size_t cardkey_block(int alg);

/* 0 on success; -1 on a bad algorithm or serial length, or a libgcrypt
   failure. The outputs are written only on success. */
int cardkey_derive(int alg, const uint8_t master[CARDKEY_LEN], const uint8_t *serial,
                   size_t serial_len, uint8_t key[CARDKEY_LEN]);
/* CMAC of msg under key; writes cardkey_block(alg) bytes to mac. */
int cardkey_cmac(int alg, const uint8_t key[CARDKEY_LEN], const void *msg, size_t len,
                 uint8_t mac[CARDKEY_MAC_MAX]);
/* The first maclen bytes of the CMAC equal mac (compared in constant time)?
   1 yes, 0 no or failure. */
int cardkey_cmac_check(int alg, const uint8_t key[CARDKEY_LEN], const void *msg, size_t len,
                       const uint8_t *mac, size_t maclen);
/* ECB over whole blocks, in place: encrypt (1) or decrypt (0). */
int cardkey_ecb(int alg, const uint8_t key[CARDKEY_LEN], int encrypt, uint8_t *data, size_t len);

#endif
