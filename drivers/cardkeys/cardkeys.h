/*
 * cardkeys.h — card key derivation and MACs of docs/cards.md, on libgcrypt.
 *
 * Shared by the card drivers (linked into each .so) and by the card
 * simulator's SAM and card emulations, so both ends compute the same keys:
 *
 *   derive(master, alg, serial): D = serial || 0x80 || 0x00.. to a whole
 *   number of cipher blocks (the serial is 1..15 bytes);
 *     3des  L || R, L = last block of 3DES-CBC(master, IV 0, D), R the same
 *           over D xor FF..FF (one-block D: plain 3DES-ECB)
 *     aes   AES-128-ECB(master, D)
 *     sm4   SM4-ECB(master, D)
 *   CMAC (NIST SP 800-38B) with the same cipher: 16 bytes with aes and sm4,
 *   8 with 3des (its block).
 *
 * Every key here is 16 bytes; 3des keys are 2-key TDEA (K1 || K2), used by
 * libgcrypt as K1 || K2 || K1. No state, no allocation the caller must free;
 * temporaries holding key bytes are wiped before returning.
 */
#ifndef UV_CARDKEYS_H
#define UV_CARDKEYS_H

#include <stddef.h>
#include <stdint.h>

enum ck_alg { CK_3DES = 1, CK_AES = 2, CK_SM4 = 3 }; /* the SAM's alg byte */

#define CK_KEY_LEN 16 /* masters and card keys          */
#define CK_DIV_MAX 15 /* longest serial / diversifier   */
#define CK_MAC_MAX 16 /* a full CMAC                    */
#define CK_BLOCK_MAX 16

/* "3des", "aes", "sm4" -> CK_*, else 0. */
int ck_alg_parse(const char *name);
/* CK_* -> its name, or "?" */
const char *ck_alg_name(int alg);
/* Block size of the alg: 8 or 16; 0 for an unknown alg. */
size_t ck_block(int alg);

/* The card key of a card (or meter) with that serial. 0, or -1 on a bad
   argument or a libgcrypt failure. */
int ck_derive(int alg, const uint8_t master[CK_KEY_LEN], const uint8_t *serial, size_t serial_len,
              uint8_t out[CK_KEY_LEN]);
/* CMAC of msg under key; *out_len = ck_block(alg). 0 or -1. */
int ck_cmac(int alg, const uint8_t key[CK_KEY_LEN], const void *msg, size_t len,
            uint8_t out[CK_MAC_MAX], size_t *out_len);
/* ECB over whole blocks (len a multiple of the block), encrypt or decrypt.
   0 or -1. */
int ck_ecb(int alg, const uint8_t key[CK_KEY_LEN], int encrypt, const uint8_t *in, size_t len,
           uint8_t *out);
/* Constant-time comparison of n bytes: 1 if equal. */
int ck_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
