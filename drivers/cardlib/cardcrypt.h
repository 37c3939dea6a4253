/*
 * cardcrypt.h — the key derivation and MACs every card driver and the card
 * simulator share (docs/cards.md "Card keys"), on libgcrypt.
 *
 *   derive(master, alg, serial): D = serial || 0x80 || 0x00... to one cipher
 *   block; 3des: 3DES-ECB(master, D) || 3DES-ECB(master, D xor FF..FF);
 *   aes / sm4: AES-128-ECB / SM4-ECB(master, D). Card keys are 16 bytes. A
 *   serial fills at most one block with its padding: 1..7 bytes for 3des,
 *   1..15 for aes and sm4.
 *   cmac(alg, key, msg): CMAC (NIST SP 800-38B) with that cipher; 8 bytes
 *   for 3des, 16 for aes and sm4.
 *
 * Pure functions: no host services, no global state.
 */
#ifndef UV_CARDCRYPT_H
#define UV_CARDCRYPT_H

#include <stddef.h>
#include <stdint.h>

/* Algorithm numbers, as the SAM's GET-INFO reports them. */
enum ck_alg { CK_ALG_3DES = 1, CK_ALG_AES = 2, CK_ALG_SM4 = 3 };

#define CK_KEY_LEN 16    /* master keys and card keys        */
#define CK_MAC_MAX 16    /* a full CMAC                      */
#define CK_SERIAL_MAX 15 /* longest diversifier (aes, sm4)    */

/* "3des", "aes", "sm4" -> enum ck_alg; 0 for anything else. */
int ck_alg_parse(const char *name);
const char *ck_alg_name(int alg);
/* Longest serial the algorithm's one-block diversifier takes (7 or 15). */
size_t ck_serial_max(int alg);

/* The card key for a serial. 0, or -1 (bad algorithm, serial length, or the
   crypto library failed); out is wiped on failure. */
int ck_derive(int alg, const uint8_t master[CK_KEY_LEN], const uint8_t *serial,
              size_t serial_len, uint8_t out[CK_KEY_LEN]);

/* CMAC of msg under key (CK_KEY_LEN bytes). Returns the MAC length (8 or
   16), or -1. */
int ck_cmac(int alg, const uint8_t key[CK_KEY_LEN], const uint8_t *msg, size_t len,
            uint8_t out[CK_MAC_MAX]);

/* Constant-time comparison: 1 when equal. */
int ck_equal(const void *a, const void *b, size_t n);

/* Known answers, computed with another implementation (OpenSSL 3): the card
   key of serial 01..07 under master 00..0F for each algorithm and its CMAC
   of "univend card KAT"; and RFC 4493 example 2 (AES-CMAC). 0 or -1. */
int ck_self_test(void);

/* Wipe a buffer the compiler cannot skip. */
void ck_wipe(void *p, size_t n);

#endif
