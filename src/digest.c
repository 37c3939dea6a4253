/* digest.c — SHA-256 through libgcrypt. */
#include "digest.h"

#include <errno.h>
#include <gcrypt.h>
#include <string.h>
#include <unistd.h>

void digest_sha256(const void *data, size_t len, uint8_t out[32])
{
    gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

uv_status digest_sha256_fd(int fd, uint8_t out[32], struct uv_error *err)
{
    gcry_md_hd_t h;
    uint8_t buf[65536];
    if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0)
        return uv_fail(err, UVS_FAILED, "cannot start SHA-256");
    off_t off = 0;
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof buf, off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            gcry_md_close(h);
            return uv_fail(err, UVS_IO, "read error while hashing: %s", strerror(errno));
        }
        if (r == 0)
            break;
        gcry_md_write(h, buf, (size_t)r);
        off += r;
    }
    memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    return UVS_OK;
}

void digest_hex(const uint8_t *in, size_t len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int nib(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int digest_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int a = nib(hex[2 * i]), b = nib(hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return 0;
}
