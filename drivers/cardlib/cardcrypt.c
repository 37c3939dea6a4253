/* cardcrypt.c — card key derivation and CMAC (docs/cards.md), on libgcrypt. */
#include "cardcrypt.h"

#include <gcrypt.h>
#include <string.h>

int ck_alg_parse(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "3des") == 0)
        return CK_ALG_3DES;
    if (strcmp(name, "aes") == 0)
        return CK_ALG_AES;
    if (strcmp(name, "sm4") == 0)
        return CK_ALG_SM4;
    return 0;
}

const char *ck_alg_name(int alg)
{
    switch (alg) {
    case CK_ALG_3DES: return "3des";
    case CK_ALG_AES: return "aes";
    case CK_ALG_SM4: return "sm4";
    default: return "?";
    }
}

static size_t block_len(int alg)
{
    return alg == CK_ALG_3DES ? 8 : alg == CK_ALG_AES || alg == CK_ALG_SM4 ? 16 : 0;
}

size_t ck_serial_max(int alg)
{
    size_t b = block_len(alg);
    return b ? b - 1 : 0;
}

void ck_wipe(void *p, size_t n)
{
    if (p)
        explicit_bzero(p, n);
}

int ck_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

/* A 2-key 3DES key (K1 K2) as libgcrypt's 3-key form (K1 K2 K1). */
static void des3_key(const uint8_t k[CK_KEY_LEN], uint8_t out[24])
{
    memcpy(out, k, 16);
    memcpy(out + 16, k, 8);
}

static int ecb(int alg, const uint8_t key[CK_KEY_LEN], const uint8_t *in, uint8_t *out,
               size_t len)
{
    int algo = alg == CK_ALG_3DES ? GCRY_CIPHER_3DES
               : alg == CK_ALG_AES ? GCRY_CIPHER_AES128
                                   : GCRY_CIPHER_SM4;
    uint8_t k24[24];
    const uint8_t *k = key;
    size_t klen = CK_KEY_LEN;
    if (alg == CK_ALG_3DES) {
        des3_key(key, k24);
        k = k24;
        klen = sizeof k24;
    }
    gcry_cipher_hd_t h;
    int rc = -1;
    if (gcry_cipher_open(&h, algo, GCRY_CIPHER_MODE_ECB, GCRY_CIPHER_SECURE) != 0)
        goto out;
    if (gcry_cipher_setkey(h, k, klen) == 0 && gcry_cipher_encrypt(h, out, len, in, len) == 0)
        rc = 0;
    gcry_cipher_close(h);
out:
    ck_wipe(k24, sizeof k24);
    return rc;
}

int ck_derive(int alg, const uint8_t master[CK_KEY_LEN], const uint8_t *serial,
              size_t serial_len, uint8_t out[CK_KEY_LEN])
{
    size_t b = block_len(alg);
    uint8_t d[16], dx[16];
    if (b == 0 || master == NULL || serial == NULL || serial_len == 0 || serial_len >= b) {
        ck_wipe(out, CK_KEY_LEN);
        return -1;
    }
    memset(d, 0, sizeof d);
    memcpy(d, serial, serial_len);
    d[serial_len] = 0x80;
    int rc;
    if (alg == CK_ALG_3DES) {
        for (size_t i = 0; i < b; i++)
            dx[i] = (uint8_t)~d[i];
        rc = ecb(alg, master, d, out, b) == 0 && ecb(alg, master, dx, out + b, b) == 0 ? 0 : -1;
    } else {
        rc = ecb(alg, master, d, out, b);
    }
    if (rc != 0)
        ck_wipe(out, CK_KEY_LEN);
    return rc;
}

int ck_cmac(int alg, const uint8_t key[CK_KEY_LEN], const uint8_t *msg, size_t len,
            uint8_t out[CK_MAC_MAX])
{
    int algo = alg == CK_ALG_3DES ? GCRY_MAC_CMAC_3DES
               : alg == CK_ALG_AES ? GCRY_MAC_CMAC_AES
               : alg == CK_ALG_SM4 ? GCRY_MAC_CMAC_SM4
                                   : 0;
    if (algo == 0 || key == NULL || (msg == NULL && len != 0))
        return -1;
    uint8_t k24[24];
    const uint8_t *k = key;
    size_t klen = CK_KEY_LEN;
    if (alg == CK_ALG_3DES) {
        des3_key(key, k24);
        k = k24;
        klen = sizeof k24;
    }
    gcry_mac_hd_t h;
    size_t mlen = block_len(alg);
    int rc = -1;
    if (gcry_mac_open(&h, algo, GCRY_MAC_FLAG_SECURE, NULL) != 0)
        goto out;
    if (gcry_mac_setkey(h, k, klen) == 0 && gcry_mac_write(h, msg, len) == 0 &&
        gcry_mac_read(h, out, &mlen) == 0)
        rc = (int)mlen;
    gcry_mac_close(h);
out:
    ck_wipe(k24, sizeof k24);
    return rc;
}
