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

int ck_self_test(void)
{
    static const uint8_t master[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t serial[7] = {1, 2, 3, 4, 5, 6, 7};
    static const uint8_t msg[16] = "univend card KAT";
    static const struct {
        int alg;
        uint8_t key[16], mac[16];
        int mac_len;
    } kat[] = {
        {CK_ALG_AES,
         {0xf4, 0x77, 0xcf, 0x3f, 0x7a, 0xe1, 0xe7, 0x7f, 0x38, 0x90, 0xdc, 0x75, 0x4f, 0x44,
          0xfb, 0x5d},
         {0x0e, 0x57, 0x26, 0x74, 0xb6, 0xc3, 0x44, 0x88, 0x63, 0x9c, 0x69, 0xc5, 0xf3, 0x38,
          0x02, 0x70},
         16},
        {CK_ALG_SM4,
         {0xcd, 0x26, 0xe6, 0x69, 0x06, 0xd0, 0x02, 0x0d, 0xc2, 0xa8, 0x40, 0xef, 0x67, 0x78,
          0x61, 0x9c},
         {0xc1, 0x0c, 0x64, 0xcd, 0xb0, 0x66, 0xe4, 0xe3, 0xc7, 0x3a, 0xd7, 0xb2, 0x1c, 0xff,
          0x4e, 0x48},
         16},
        {CK_ALG_3DES,
         {0x41, 0x9a, 0xf6, 0x03, 0x66, 0x60, 0x68, 0x44, 0xf3, 0x8e, 0x25, 0x05, 0xa0, 0xe1,
          0xfe, 0xfc},
         {0x76, 0xa3, 0x07, 0x9a, 0xda, 0x12, 0xf0, 0x4f},
         8},
    };
    static const uint8_t rfc_key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                        0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    static const uint8_t rfc_msg[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                        0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
    static const uint8_t rfc_mac[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
                                        0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
    uint8_t key[CK_KEY_LEN], mac[CK_MAC_MAX];
    int rc = 0;
    for (size_t i = 0; i < sizeof kat / sizeof kat[0] && rc == 0; i++)
        if (ck_derive(kat[i].alg, master, serial, sizeof serial, key) != 0 ||
            memcmp(key, kat[i].key, CK_KEY_LEN) != 0 ||
            ck_cmac(kat[i].alg, key, msg, sizeof msg, mac) != kat[i].mac_len ||
            memcmp(mac, kat[i].mac, (size_t)kat[i].mac_len) != 0)
            rc = -1;
    if (rc == 0 && (ck_cmac(CK_ALG_AES, rfc_key, rfc_msg, sizeof rfc_msg, mac) != 16 ||
                    memcmp(mac, rfc_mac, sizeof rfc_mac) != 0))
        rc = -1;
    /* a serial that does not fit one block is refused, not truncated */
    if (rc == 0 && ck_derive(CK_ALG_3DES, master, rfc_msg, 8, key) != -1)
        rc = -1;
    ck_wipe(key, sizeof key);
    ck_wipe(mac, sizeof mac);
    return rc;
}
