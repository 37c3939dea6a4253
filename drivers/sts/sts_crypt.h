/*
 * sts_crypt.h - IEC 62055-41 (STS) key generation and token encryption.
 *
 * DKGA02 decoder key generation, EA07 (Standard Transfer Algorithm, STA) and
 * EA09 (DEA, i.e. single DES) token encryption, and the complete
 * fields -> 20 digits -> fields pipeline.  Bit/byte conventions are those
 * described at the top of sts_token.h (bit 0 = least significant; 8-byte
 * keys most significant byte first).
 *
 * libgcrypt: all DES comes from libgcrypt.  libgcrypt must be initialised
 * by the application before any function here is called -- at least
 * gcry_check_version() and gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0),
 * as the libgcrypt manual requires.  This library does not initialise
 * libgcrypt itself (that is global, process-wide state); the DES-based
 * functions return STS_ERR_CRYPTO when initialisation has not been finished.
 * EA07 does not use libgcrypt.
 *
 * Key material: temporaries derived from keys are wiped with explicit_bzero
 * before return; libgcrypt cipher handles are closed (which wipes their key
 * schedule).  Callers own and must wipe the key buffers they pass in.
 */
#ifndef UNIVEND_STS_CRYPT_H
#define UNIVEND_STS_CRYPT_H

#include "sts_token.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint8_t key_type;       /* KT 0..3 (only 1 = DDTK and 2 = DUTK accepted, see sts_dkga02) */
    uint32_t supply_group;  /* SGC, 6 digits: 0..999999 */
    uint8_t tariff_index;   /* TI, 2 digits: 0..99 */
    uint8_t key_revision;   /* KRN 1..9 */
    const char *iin;        /* issuer identification number, e.g. "600727" or "0000" */
    const char *drn;        /* meter number with check digit (11 or 13 digits) */
} sts_key_params;

/*
 * DKGA02 (IEC 62055-41 6.5.3.4): derives the 64-bit DecoderKey from a 64-bit
 * single-DES VendingKey.
 *
 *   PANBlock (6.5.3.1), 16 BCD digits, most significant first: the DRN takes
 *     the low digits (positions 10..0 for an 11-digit DRN, 12..0 for a
 *     13-digit one) and the least significant digits of the IIN fill the
 *     positions above (5 IIN digits with an 11-digit DRN, 3 with a 13-digit
 *     DRN), left padded with zeros if the IIN is shorter.
 *     E.g. IIN 600727, DRN 12345678903 -> 0072712345678903.
 *   CONTROLBlock (6.5.3.2), 16 hex digits: KT(1) | SGC(6) | TI(2) | KRN(1) |
 *     FFFFFF.  E.g. KT 2, SGC 123456, TI 01, KRN 1 -> 2123456011FFFFFF.
 *   X  = PANBlock XOR CONTROLBlock
 *   DK = DES-encrypt(VendingKey, X) XOR X XOR VendingKey
 *
 * decoder_key receives the key most significant byte first (the form EA07
 * and EA09 here expect).  Note that some published material prints this
 * key with its bytes in reverse order.
 *
 * Validation: NULL pointers, KT other than 1 or 2, SGC > 999999, TI > 99,
 * KRN outside 1..9, an IIN that is not 1..6 digits -> STS_ERR_ARG; a DRN
 * that is not 11/13 digits -> STS_ERR_ARG; a DRN with a wrong check digit ->
 * STS_ERR_CHECK_DIGIT; libgcrypt failure -> STS_ERR_CRYPTO.  On error
 * decoder_key is zeroed (if not NULL).
 *
 * KT 0 (DITK) and KT 3 (DCTK) are refused: the PANBlock rule above is the
 * one the standard gives for DDTK/DUTK decoders, and the rule for the other
 * key types could not be verified against the standard text or a published
 * vector, so no key is produced rather than a possibly wrong one.
 */
sts_rc sts_dkga02(const uint8_t vending_key[8], const sts_key_params *p,
                  uint8_t decoder_key[8]);

/*
 * EA07, the Standard Transfer Algorithm (IEC 62055-41 6.5.4 / 7.3.3).
 *
 *   key alignment: K = DecoderKey complemented (1's complement), then
 *                  rotated right by 12 bits;
 *   16 iterations of:
 *     substitution: each data nibble n (bits 4n+3..4n, n = 0..15) is
 *                   replaced through substitution table 1 if bit 4n+3 of K
 *                   (the most significant bit of the matching key nibble)
 *                   is 0, or table 2 if it is 1;
 *     permutation:  data bit i moves to bit P[i] (entry 0 of the table is
 *                   bit 0, the least significant);
 *     key rotation: K is rotated left by one bit.
 *   Decryption runs the inverse steps in reverse order.
 *
 * The production substitution/permutation tables are compiled in (see the
 * note in sts_crypt.c on where they come from).  STS_ERR_ARG on NULL
 * pointers (*out set to 0 if out is not NULL).
 */
sts_rc sts_ea07_encrypt(const uint8_t key[8], uint64_t in, uint64_t *out);
sts_rc sts_ea07_decrypt(const uint8_t key[8], uint64_t in, uint64_t *out);

/*
 * The same algorithm with the SAMPLE substitution and permutation tables
 * printed in IEC 62055-41 for illustration.  Tokens made with these are
 * NOT accepted by real meters: these exist only so the algorithm structure
 * can be checked against the worked example in the standard.  Never use
 * them for vending.
 */
sts_rc sts_ea07_sample_encrypt(const uint8_t key[8], uint64_t in, uint64_t *out);
sts_rc sts_ea07_sample_decrypt(const uint8_t key[8], uint64_t in, uint64_t *out);

/*
 * EA09, DEA: the 64-bit data block, most significant byte first, encrypted
 * with single DES in ECB mode (FIPS 46-3) under the 8-byte DecoderKey, via
 * libgcrypt.  DES parity bits of the key are ignored, as DES does.  Weak
 * and semi-weak DES keys are accepted (libgcrypt is told to allow them;
 * it reports GPG_ERR_WEAK_KEY from setkey, which is treated as success).
 * IEC 62055-41:2018 marks EA09 as deprecated for new products.
 * STS_ERR_ARG on NULL pointers; STS_ERR_CRYPTO on libgcrypt failure.
 */
sts_rc sts_ea09_encrypt(const uint8_t key[8], uint64_t in, uint64_t *out);
sts_rc sts_ea09_decrypt(const uint8_t key[8], uint64_t in, uint64_t *out);

/*
 * Whole pipeline, vending side: build the data block from f (CRC computed,
 * f->crc ignored), encrypt it with EA07 (ea == 7) or EA09 (ea == 9) under
 * dk, insert the class bits, and write the 20-digit token (no separators)
 * to digits.
 *
 * Class 1 tokens are not encrypted (IEC 62055-41 6.3.2): for
 * f->token_class == 1, dk may be NULL and ea is ignored.  Class 3 is
 * reserved and refused (STS_ERR_ARG).  Errors come from the steps above;
 * on error digits (if not NULL) is set to "".
 */
sts_rc sts_token_encode(const uint8_t dk[8], int ea, const sts_block_fields *f,
                        char digits[21]);

/*
 * Whole pipeline, meter side: parse the token number (spaces/dashes
 * allowed), take out the class bits, decrypt (EA07/EA09; no decryption for
 * class 1, where dk may be NULL), split the block and check its CRC.
 * Returns STS_ERR_CRC when the CRC does not match (wrong key, wrong
 * algorithm or mistyped token), STS_ERR_FORMAT/STS_ERR_RANGE for bad text,
 * STS_ERR_FORMAT for a class 3 token, STS_ERR_ARG for bad arguments.  On
 * error *out is zeroed.
 */
sts_rc sts_token_decode(const uint8_t dk[8], int ea, const char *digits,
                        sts_block_fields *out);

#ifdef __cplusplus
}
#endif

#endif /* UNIVEND_STS_CRYPT_H */
