/* ed25519.c — Ed25519 with libgcrypt's ECC (curve Ed25519, EdDSA flags). */
#include "ed25519.h"

#include <gcrypt.h>
#include <string.h>

/* Copy an MPI/opaque token of the s-expression `name` into out (exactly n
   bytes; a leading 0x40 point-format byte is dropped). */
static int get_bytes(gcry_sexp_t s, const char *name, uint8_t *out, size_t n)
{
    gcry_sexp_t t = gcry_sexp_find_token(s, name, 0);
    if (t == NULL)
        return -1;
    size_t len = 0;
    const char *d = gcry_sexp_nth_data(t, 1, &len);
    int rc = -1;
    if (d && len == n + 1 && (uint8_t)d[0] == 0x40) {
        d++;
        len--;
    }
    if (d && len == n) {
        memcpy(out, d, n);
        rc = 0;
    } else if (d && len < n) { /* an MPI without its leading zero bytes */
        memset(out, 0, n - len);
        memcpy(out + n - len, d, len);
        rc = 0;
    }
    gcry_sexp_release(t);
    return rc;
}

uv_status ed25519_generate(uint8_t secret[32], uint8_t pub[32], struct uv_error *err)
{
    /* An Ed25519 secret is 32 random bytes (RFC 8032 5.1.5). They come from
       libgcrypt's CSPRNG; gcry_pk_genkey would ask for the "very strong"
       level, which keeps a buffer for the life of the process. */
    gcry_randomize(secret, 32, GCRY_STRONG_RANDOM);
    uv_status st = ed25519_public(secret, pub, err);
    if (st != UVS_OK)
        explicit_bzero(secret, 32);
    return st;
}

uv_status ed25519_public(const uint8_t secret[32], uint8_t pub[32], struct uv_error *err)
{
    /* let libgcrypt build the key from d and read the public point q */
    gcry_sexp_t skey = NULL;
    gcry_error_t e = gcry_sexp_build(&skey, NULL,
                                     "(private-key (ecc (curve Ed25519) (flags eddsa) (d %b)))",
                                     32, secret);
    gcry_ctx_t ctx = NULL;
    if (!e)
        e = gcry_mpi_ec_new(&ctx, skey, NULL);
    gcry_sexp_release(skey);
    if (e)
        return uv_fail(err, UVS_KEY, "Ed25519: %s", gcry_strerror(e));
    gcry_mpi_t q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1);
    gcry_ctx_release(ctx);
    if (q == NULL)
        return uv_fail(err, UVS_KEY, "Ed25519: no public key");
    unsigned int nbits = 0;
    const uint8_t *b = gcry_mpi_get_opaque(q, &nbits);
    int ok = b && nbits == 256;
    if (ok)
        memcpy(pub, b, 32);
    gcry_mpi_release(q);
    return ok ? UVS_OK : uv_fail(err, UVS_KEY, "Ed25519: unexpected public key form");
}

uv_status ed25519_sign(const uint8_t secret[32], const uint8_t pub[32], const void *msg,
                       size_t len, uint8_t sig[64], struct uv_error *err)
{
    gcry_sexp_t skey = NULL, data = NULL, s = NULL;
    gcry_error_t e = gcry_sexp_build(
        &skey, NULL, "(private-key (ecc (curve Ed25519) (flags eddsa) (q %b) (d %b)))", 32, pub,
        32, secret);
    if (!e)
        e = gcry_sexp_build(&data, NULL, "(data (flags eddsa) (hash-algo sha512) (value %b))",
                            (int)len, msg);
    if (!e)
        e = gcry_pk_sign(&s, data, skey);
    gcry_sexp_release(skey);
    gcry_sexp_release(data);
    if (e) {
        gcry_sexp_release(s);
        return uv_fail(err, UVS_KEY, "Ed25519 signing failed: %s", gcry_strerror(e));
    }
    int bad = get_bytes(s, "r", sig, 32) || get_bytes(s, "s", sig + 32, 32);
    gcry_sexp_release(s);
    return bad ? uv_fail(err, UVS_KEY, "Ed25519: unexpected signature form") : UVS_OK;
}

int ed25519_public_ok(const uint8_t pub[32])
{
    /* y coordinates of the points of order 1, 2, 4 and 8, little endian,
       with the non-canonical p and p+1; compared without the sign bit */
    static const uint8_t small[][32] = {
        {0}, /* 0: order 4 */
        {1}, /* 1: order 1 (identity) */
        {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
         0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
        {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
         0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
        {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
        {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    };
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        if (memcmp(pub, small[i], 31) == 0 && (pub[31] & 0x7f) == (small[i][31] & 0x7f))
            return 0;
    return 1;
}

uv_status ed25519_verify(const uint8_t pub[32], const void *msg, size_t len,
                         const uint8_t sig[64], struct uv_error *err)
{
    if (!ed25519_public_ok(pub))
        return uv_fail(err, UVS_REFUSED, "the public key is a small-order point: refused");
    gcry_sexp_t pkey = NULL, data = NULL, s = NULL;
    gcry_error_t e = gcry_sexp_build(&pkey, NULL,
                                     "(public-key (ecc (curve Ed25519) (flags eddsa) (q %b)))", 32,
                                     pub);
    if (!e)
        e = gcry_sexp_build(&data, NULL, "(data (flags eddsa) (hash-algo sha512) (value %b))",
                            (int)len, msg);
    if (!e)
        e = gcry_sexp_build(&s, NULL, "(sig-val (eddsa (r %b) (s %b)))", 32, sig, 32, sig + 32);
    if (e) {
        gcry_sexp_release(pkey);
        gcry_sexp_release(data);
        gcry_sexp_release(s);
        return uv_fail(err, UVS_FAILED, "Ed25519: %s", gcry_strerror(e));
    }
    e = gcry_pk_verify(s, data, pkey);
    gcry_sexp_release(pkey);
    gcry_sexp_release(data);
    gcry_sexp_release(s);
    if (e)
        return uv_fail(err, UVS_REFUSED, "signature does not verify");
    return UVS_OK;
}
