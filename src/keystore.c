/* keystore.c — PBKDF2 + AES-256-GCM key wrapping with libgcrypt. */
#include "keystore.h"

#include <gcrypt.h>
#include <string.h>
#include <time.h>

#define META_SALT "keystore.salt"
#define META_ITER "keystore.iterations"
#define META_CHECK "keystore.check"
#define CHECK_REF "keystore-check"
static const uint8_t check_plain[16] = "univend-ks-v1...";

int keystore_ref_valid(const char *ref)
{
    size_t n = ref ? strlen(ref) : 0;
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = ref[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static uv_status gcm(const uint8_t *kek, int encrypt, const char *ref, const uint8_t nonce[12],
                     const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16],
                     struct uv_error *err)
{
    gcry_cipher_hd_t h;
    gcry_error_t e = gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, GCRY_CIPHER_SECURE);
    if (!e)
        e = gcry_cipher_setkey(h, kek, 32);
    if (!e)
        e = gcry_cipher_setiv(h, nonce, 12);
    if (!e)
        e = gcry_cipher_authenticate(h, ref, strlen(ref));
    if (e) {
        gcry_cipher_close(h);
        return uv_fail(err, UVS_KEY, "key store cipher: %s", gcry_strerror(e));
    }
    if (encrypt) {
        e = gcry_cipher_encrypt(h, out, len, in, len);
        if (!e)
            e = gcry_cipher_gettag(h, tag, 16);
    } else {
        e = gcry_cipher_decrypt(h, out, len, in, len);
        if (!e)
            e = gcry_cipher_checktag(h, tag, 16);
    }
    gcry_cipher_close(h);
    if (e) {
        if (!encrypt)
            memset(out, 0, len);
        return uv_fail(err, UVS_KEY, "%s", encrypt ? "key wrapping failed" : "bad tag");
    }
    return UVS_OK;
}

static uv_status derive(struct uv_keystore *ks, const char *pass, const uint8_t salt[16],
                        uint32_t iterations, struct uv_error *err)
{
    keystore_lock(ks);
    ks->kek = gcry_malloc_secure(32);
    if (!ks->kek)
        return uv_fail(err, UVS_NOMEM, "no secure memory for the key store");
    gcry_error_t e = gcry_kdf_derive(pass, strlen(pass), GCRY_KDF_PBKDF2, GCRY_MD_SHA256, salt,
                                     16, iterations, 32, ks->kek);
    if (e) {
        keystore_lock(ks);
        return uv_fail(err, UVS_KEY, "key derivation failed: %s", gcry_strerror(e));
    }
    ks->kdf_iterations = iterations;
    return UVS_OK;
}

uv_status keystore_create(struct uv_keystore *ks, struct uv_store *s, DB_TXN *txn,
                          const char *passphrase, uint32_t iterations, struct uv_error *err)
{
    uint8_t salt[16], itb[8], blob[12 + 16 + 16];
    if (passphrase == NULL || strlen(passphrase) < 4)
        return uv_fail(err, UVS_KEY, "the key store passphrase must have at least 4 characters");
    if (iterations < 1000)
        return uv_fail(err, UVS_INPUT, "KDF iterations must be at least 1000");
    gcry_randomize(salt, sizeof salt, GCRY_STRONG_RANDOM);
    uv_status st = derive(ks, passphrase, salt, iterations, err);
    if (st != UVS_OK)
        return st;
    gcry_create_nonce(blob, 12);
    st = gcm(ks->kek, 1, CHECK_REF, blob, check_plain, 16, blob + 12, blob + 28, err);
    rec_u64_key(iterations, itb);
    if (st == UVS_OK)
        st = store_meta_put(s, txn, META_SALT, salt, sizeof salt, err);
    if (st == UVS_OK)
        st = store_meta_put(s, txn, META_ITER, itb, sizeof itb, err);
    if (st == UVS_OK)
        st = store_meta_put(s, txn, META_CHECK, blob, sizeof blob, err);
    return st;
}

uv_status keystore_unlock(struct uv_keystore *ks, struct uv_store *s, const char *passphrase,
                          struct uv_error *err)
{
    uint8_t salt[16], itb[8], blob[44], plain[16];
    size_t l1 = 0, l2 = 0, l3 = 0;
    uv_status st = store_meta_get(s, NULL, META_SALT, salt, sizeof salt, &l1, 0, err);
    if (st == UVS_OK)
        st = store_meta_get(s, NULL, META_ITER, itb, sizeof itb, &l2, 0, err);
    if (st == UVS_OK)
        st = store_meta_get(s, NULL, META_CHECK, blob, sizeof blob, &l3, 0, err);
    if (st == UVS_NOTFOUND)
        return uv_fail(err, UVS_KEY, "this kiosk has no key store (run 'univend init')");
    if (st != UVS_OK)
        return st;
    uint64_t iter = rec_u64_from_key(itb);
    if (l1 != 16 || l2 != 8 || l3 != 44 || iter < 1000 || iter > 100000000)
        return uv_fail(err, UVS_KEY, "the key store header is damaged");
    st = derive(ks, passphrase ? passphrase : "", salt, (uint32_t)iter, err);
    if (st != UVS_OK)
        return st;
    st = gcm(ks->kek, 0, CHECK_REF, blob, blob + 12, 16, plain, blob + 28, err);
    if (st != UVS_OK || memcmp(plain, check_plain, 16) != 0) {
        keystore_lock(ks);
        return uv_fail(err, UVS_KEY, "wrong key store passphrase");
    }
    return UVS_OK;
}

void keystore_lock(struct uv_keystore *ks)
{
    if (ks->kek) {
        gcry_free(ks->kek); /* secure memory is wiped on free */
        ks->kek = NULL;
    }
}

int keystore_unlocked(const struct uv_keystore *ks)
{
    return ks->kek != NULL;
}

uv_status keystore_put(struct uv_keystore *ks, struct uv_store *s, DB_TXN *txn, const char *ref,
                       const uint8_t *key, size_t len, const char *actor, struct uv_error *err)
{
    struct rec_key r;
    if (!keystore_unlocked(ks))
        return uv_fail(err, UVS_KEY, "the key store is locked");
    if (!keystore_ref_valid(ref))
        return uv_fail(err, UVS_INPUT,
                       "key reference '%s' is invalid (1-63 of A-Z a-z 0-9 : . _ -)",
                       ref ? ref : "");
    if (len == 0 || len > sizeof r.ct)
        return uv_fail(err, UVS_INPUT, "a key must be 1 to %zu bytes", sizeof r.ct);
    memset(&r, 0, sizeof r);
    snprintf(r.ref, sizeof r.ref, "%s", ref);
    snprintf(r.created_by, sizeof r.created_by, "%s", actor ? actor : "");
    r.created_at = (int64_t)time(NULL);
    gcry_create_nonce(r.nonce, sizeof r.nonce);
    uv_status st = gcm(ks->kek, 1, ref, r.nonce, key, len, r.ct, r.tag, err);
    if (st != UVS_OK)
        return st;
    r.ct_len = (uint32_t)len;
    st = store_put_rec(s, txn, UV_DB_KEYS, ref, strlen(ref), &rec_key_layout, &r, 1, err);
    if (st == UVS_EXISTS)
        return uv_fail(err, UVS_EXISTS, "key '%s' already exists", ref);
    return st;
}

uv_status keystore_get(struct uv_keystore *ks, struct uv_store *s, const char *ref, uint8_t *buf,
                       size_t cap, size_t *len, struct uv_error *err)
{
    struct rec_key r;
    if (!keystore_unlocked(ks))
        return uv_fail(err, UVS_KEY, "the key store is locked");
    if (!keystore_ref_valid(ref))
        return uv_fail(err, UVS_INPUT, "key reference is invalid");
    uv_status st = store_get_rec(s, NULL, UV_DB_KEYS, ref, strlen(ref), &rec_key_layout, &r, 0, err);
    if (st == UVS_NOTFOUND)
        return uv_fail(err, UVS_NOTFOUND, "no key '%s' in the key store", ref);
    if (st != UVS_OK)
        return st;
    if (buf == NULL) {
        *len = r.ct_len;
        return UVS_OK;
    }
    if (cap < r.ct_len)
        return uv_fail(err, UVS_INPUT, "key '%s' is longer than expected", ref);
    st = gcm(ks->kek, 0, ref, r.nonce, r.ct, r.ct_len, buf, r.tag, err);
    if (st != UVS_OK)
        return uv_fail(err, UVS_KEY, "key '%s' is damaged or was not written by this key store", ref);
    *len = r.ct_len;
    return UVS_OK;
}
