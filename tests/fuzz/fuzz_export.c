/* fuzz_export.c — export files as head office receives them: peek and full
   parse must refuse or accept cleanly, and agree with each other. */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exportfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* as the real binaries do (src/main.c) */
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return 0;
}

static int count(int kind, const void *rec, void *arg)
{
    (void)kind;
    (void)rec;
    (*(unsigned *)arg)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */
    memcpy(buf, data, size);
    struct export_parsed p, q;
    struct uv_error e;
    unsigned n = 0;
    if (exportfile_parse(buf, size, &p, count, &n, &e) == UVS_OK) {
        if (n != p.h.receipts + p.h.audits + p.h.closings + p.h.instructions)
            __builtin_trap();
        /* what parses fully must also peek, to the same signature position */
        if (exportfile_peek(buf, size, &q, &e) != UVS_OK || q.body_len != p.body_len)
            __builtin_trap();
        /* RFC 8032 7.1 test 1 public key: a real key */
        static const uint8_t pub[32] = {
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
            0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
        exportfile_verify(buf, &p, pub, &e);
    } else {
        exportfile_peek(buf, size, &q, &e);
    }
    free(buf);
    return 0;
}
