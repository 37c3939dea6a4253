/* cardkeys.c — card key derivation, CMAC and ECB of docs/cards.md (libgcrypt). */
#include "cardkeys.h"

#include <gcrypt.h>
#include <string.h>

int ck_alg_parse(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "3des") == 0)
        return CK_3DES;
    if (strcmp(name, "aes") == 0)
        return CK_AES;
    if (strcmp(name, "sm4") == 0)
        return CK_SM4;
    return 0;
}

const char *ck_alg_name(int alg)
{
    switch (alg) {
    case CK_3DES: return "3des";
    case CK_AES: return "aes";
    case CK_SM4: return "sm4";
    default: return "?";
    }
}

size_t ck_block(int alg)
{
    switch (alg) {
    case CK_3DES: return 8;
    case CK_AES:
    case CK_SM4: return 16;
    default: return 0;
    }
}

/* libgcrypt's cipher and key bytes for a 16-byte key (3des: K1 K2 K1). */
static int gcry_key(int alg, const uint8_t key[CK_KEY_LEN], int *cipher, uint8_t k[24],
                    size_t *klen)
{
    memcpy(k, key, CK_KEY_LEN);
    *klen = CK_KEY_LEN;
    switch (alg) {
    case CK_3DES:
        memcpy(k + CK_KEY_LEN, key, 8);
        *klen = 24;
        *cipher = GCRY_CIPHER_3DES;
        return 0;
    case CK_AES: *cipher = GCRY_CIPHER_AES128; return 0;
    case CK_SM4: *cipher = GCRY_CIPHER_SM4; return 0;
    default: return -1;
    }
}

/* One pass of a block cipher in ECB or CBC (zero IV) over whole blocks. */
static int ck_pass(int alg, const uint8_t key[CK_KEY_LEN], int mode, int encrypt,
                 const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t k[24];
    size_t klen;
    int cipher, rc = -1;
    size_t bs = ck_block(alg);
    if (bs == 0 || key == NULL || (len != 0 && (in == NULL || out == NULL)) || len % bs != 0 ||
        gcry_key(alg, key, &cipher, k, &klen) != 0)
        return -1;
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, cipher, mode, 0) == 0) {
        if (gcry_cipher_setkey(h, k, klen) == 0 &&
            (encrypt ? gcry_cipher_encrypt(h, out, len, in, len)
                     : gcry_cipher_decrypt(h, out, len, in, len)) == 0)
            rc = 0;
        gcry_cipher_close(h);
    }
    explicit_bzero(k, sizeof k);
    return rc;
}

int ck_ecb(int alg, const uint8_t key[CK_KEY_LEN], int encrypt, const uint8_t *in, size_t len,
           uint8_t *out)
{
    return ck_pass(alg, key, GCRY_CIPHER_MODE_ECB, encrypt, in, len, out);
}

int ck_derive(int alg, const uint8_t master[CK_KEY_LEN], const uint8_t *serial, size_t serial_len,
              uint8_t out[CK_KEY_LEN])
{
    size_t bs = ck_block(alg);
    if (bs == 0 || master == NULL || serial == NULL || out == NULL || serial_len == 0 ||
        serial_len > CK_DIV_MAX)
        return -1;
    uint8_t d[2 * CK_BLOCK_MAX], e[2 * CK_BLOCK_MAX];
    size_t n = (serial_len + 1 + bs - 1) / bs * bs; /* whole blocks */
    memset(d, 0, sizeof d);
    memcpy(d, serial, serial_len);
    d[serial_len] = 0x80;
    int rc = -1;
    if (alg != CK_3DES) {
        rc = ck_pass(alg, master, GCRY_CIPHER_MODE_ECB, 1, d, n, e); /* n == 16 */
        if (rc == 0)
            memcpy(out, e, CK_KEY_LEN);
    } else if (ck_pass(alg, master, GCRY_CIPHER_MODE_CBC, 1, d, n, e) == 0) {
        memcpy(out, e + n - 8, 8);
        for (size_t i = 0; i < n; i++)
            d[i] ^= 0xFF;
        if (ck_pass(alg, master, GCRY_CIPHER_MODE_CBC, 1, d, n, e) == 0) {
            memcpy(out + 8, e + n - 8, 8);
            rc = 0;
        }
    }
    explicit_bzero(e, sizeof e);
    explicit_bzero(d, sizeof d);
    if (rc != 0)
        explicit_bzero(out, CK_KEY_LEN);
    return rc;
}

int ck_cmac(int alg, const uint8_t key[CK_KEY_LEN], const void *msg, size_t len,
            uint8_t out[CK_MAC_MAX], size_t *out_len)
{
    uint8_t k[24];
    size_t klen, tl = ck_block(alg);
    int cipher, mac, rc = -1;
    if (key == NULL || out == NULL || out_len == NULL || (msg == NULL && len != 0) ||
        gcry_key(alg, key, &cipher, k, &klen) != 0)
        return -1;
    mac = alg == CK_3DES ? GCRY_MAC_CMAC_3DES : alg == CK_AES ? GCRY_MAC_CMAC_AES
                                                              : GCRY_MAC_CMAC_SM4;
    gcry_mac_hd_t h;
    if (gcry_mac_open(&h, mac, 0, NULL) == 0) {
        if (gcry_mac_setkey(h, k, klen) == 0 && (len == 0 || gcry_mac_write(h, msg, len) == 0) &&
            gcry_mac_read(h, out, &tl) == 0 && tl == ck_block(alg)) {
            *out_len = tl;
            rc = 0;
        }
        gcry_mac_close(h);
    }
    explicit_bzero(k, sizeof k);
    return rc;
}

int ck_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}
