/* cardkey.c — card key derivation and CMAC (docs/cards.md), on libgcrypt. */
#include "cardkey.h"

#include <gcrypt.h>
#include <string.h>

int cardkey_alg_parse(const char *name)
{
    if (name == NULL)
        return 0;
    if (strcmp(name, "3des") == 0)
        return CARDKEY_3DES;
    if (strcmp(name, "aes") == 0)
        return CARDKEY_AES;
    if (strcmp(name, "sm4") == 0)
        return CARDKEY_SM4;
    return 0;
}

const char *cardkey_alg_name(int alg)
{
    return alg == CARDKEY_3DES ? "3des" : alg == CARDKEY_AES ? "aes" : alg == CARDKEY_SM4 ? "sm4" : "?";
}

size_t cardkey_block(int alg)
{
    return alg == CARDKEY_3DES ? 8 : (alg == CARDKEY_AES || alg == CARDKEY_SM4) ? 16 : 0;
}

static int cipher_of(int alg)
{
    return alg == CARDKEY_3DES ? GCRY_CIPHER_3DES : alg == CARDKEY_AES ? GCRY_CIPHER_AES128
                                                                       : GCRY_CIPHER_SM4;
}

/* libgcrypt's 3DES takes three keys: two-key 3DES is K1 K2 K1. */
static size_t gcry_key(int alg, const uint8_t key[CARDKEY_LEN], uint8_t out[24])
{
    memcpy(out, key, CARDKEY_LEN);
    if (alg != CARDKEY_3DES)
        return CARDKEY_LEN;
    memcpy(out + CARDKEY_LEN, key, 8);
    return 24;
}

int cardkey_ecb(int alg, const uint8_t key[CARDKEY_LEN], int encrypt, uint8_t *data, size_t len)
{
    size_t bs = cardkey_block(alg);
    uint8_t k[24];
    gcry_cipher_hd_t h;
    if (bs == 0 || len == 0 || len % bs != 0)
        return -1;
    if (gcry_cipher_open(&h, cipher_of(alg), GCRY_CIPHER_MODE_ECB, GCRY_CIPHER_SECURE) != 0)
        return -1;
    size_t kl = gcry_key(alg, key, k);
    gcry_error_t e = gcry_cipher_setkey(h, k, kl);
    explicit_bzero(k, sizeof k);
    if (e == 0)
        e = encrypt ? gcry_cipher_encrypt(h, data, len, NULL, 0)
                    : gcry_cipher_decrypt(h, data, len, NULL, 0);
    gcry_cipher_close(h);
    return e == 0 ? 0 : -1;
}

/* The last block of CBC (IV 0) over whole blocks: a 3des derivation half
   when D is two blocks long. */
static int cbc_last(int alg, const uint8_t key[CARDKEY_LEN], const uint8_t *in, size_t len,
                    uint8_t *last)
{
    size_t bs = cardkey_block(alg);
    uint8_t k[24], out[2 * 16];
    gcry_cipher_hd_t h;
    if (bs == 0 || len == 0 || len % bs != 0 || len > sizeof out)
        return -1;
    if (gcry_cipher_open(&h, cipher_of(alg), GCRY_CIPHER_MODE_CBC, GCRY_CIPHER_SECURE) != 0)
        return -1;
    size_t kl = gcry_key(alg, key, k);
    gcry_error_t e = gcry_cipher_setkey(h, k, kl);
    explicit_bzero(k, sizeof k);
    if (e == 0)
        e = gcry_cipher_encrypt(h, out, len, in, len);
    gcry_cipher_close(h);
    if (e == 0)
        memcpy(last, out + len - bs, bs);
    explicit_bzero(out, sizeof out);
    return e == 0 ? 0 : -1;
}

int cardkey_derive(int alg, const uint8_t master[CARDKEY_LEN], const uint8_t *serial,
                   size_t serial_len, uint8_t key[CARDKEY_LEN])
{
    size_t bs = cardkey_block(alg);
    uint8_t d[32];
    if (bs == 0 || serial == NULL || serial_len == 0 || serial_len > CARDKEY_SERIAL_MAX)
        return -1;
    memset(d, 0, sizeof d);
    memcpy(d, serial, serial_len);
    d[serial_len] = 0x80;
    int rc;
    if (alg == CARDKEY_3DES && serial_len >= 8) { /* D is two blocks */
        uint8_t half[2][8];
        for (size_t i = 0; i < 16; i++)
            d[16 + i] = (uint8_t)(d[i] ^ 0xFF);
        rc = cbc_last(alg, master, d, 16, half[0]) == 0 && cbc_last(alg, master, d + 16, 16, half[1]) == 0
                 ? 0
                 : -1;
        if (rc == 0)
            memcpy(d, half, sizeof half);
        explicit_bzero(half, sizeof half);
    } else {
        if (alg == CARDKEY_3DES) /* one block each: D, then D xor FF..FF */
            for (size_t i = 0; i < 8; i++)
                d[8 + i] = (uint8_t)(d[i] ^ 0xFF);
        rc = cardkey_ecb(alg, master, 1, d, 16);
    }
    if (rc == 0)
        memcpy(key, d, CARDKEY_LEN);
    explicit_bzero(d, sizeof d);
    return rc;
}

static int mac_of(int alg)
{
    return alg == CARDKEY_3DES ? GCRY_MAC_CMAC_3DES : alg == CARDKEY_AES ? GCRY_MAC_CMAC_AES
                                                                         : GCRY_MAC_CMAC_SM4;
}

int cardkey_cmac(int alg, const uint8_t key[CARDKEY_LEN], const void *msg, size_t len,
                 uint8_t mac[CARDKEY_MAC_MAX])
{
    size_t bs = cardkey_block(alg), ml;
    uint8_t k[24];
    gcry_mac_hd_t h;
    if (bs == 0 || (msg == NULL && len))
        return -1;
    if (gcry_mac_open(&h, mac_of(alg), GCRY_MAC_FLAG_SECURE, NULL) != 0)
        return -1;
    size_t kl = gcry_key(alg, key, k);
    gcry_error_t e = gcry_mac_setkey(h, k, kl);
    explicit_bzero(k, sizeof k);
    ml = bs;
    if (e == 0 && len) /* an empty message is no write (libgcrypt refuses a NULL buffer) */
        e = gcry_mac_write(h, msg, len);
    if (e == 0)
        e = gcry_mac_read(h, mac, &ml);
    gcry_mac_close(h);
    return e == 0 && ml == bs ? 0 : -1;
}

int cardkey_cmac_check(int alg, const uint8_t key[CARDKEY_LEN], const void *msg, size_t len,
                       const uint8_t *mac, size_t maclen)
{
    uint8_t m[CARDKEY_MAC_MAX];
    if (maclen == 0 || maclen > cardkey_block(alg) || cardkey_cmac(alg, key, msg, len, m) != 0)
        return 0;
    unsigned diff = 0;
    for (size_t i = 0; i < maclen; i++)
        diff |= (unsigned)(m[i] ^ mac[i]);
    explicit_bzero(m, sizeof m);
    return diff == 0;
}
