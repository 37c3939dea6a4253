/* fuzz_export.c — export files as head office receives them: peek and full
   parse must refuse or accept cleanly, and agree with each other; the lean
   reader (src/exportparse.c) must give the same verdict and the same records
   as the plain reference reader (export_reference.c). */
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

uv_status ref_exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                               exportfile_record_fn fn, void *arg, struct uv_error *err);

/* Every record the lean reader gave, in order, as bytes (each record struct
   is zeroed before it is filled, so equal records are equal bytes). */
struct seen {
    unsigned n, checked;
    size_t len, cap;
    uint8_t *bytes;
};

static size_t rec_size(int kind)
{
    return kind == 'R'   ? sizeof(struct rec_receipt)
           : kind == 'A' ? sizeof(struct rec_audit)
           : kind == 'Z' ? sizeof(struct rec_closing)
                         : sizeof(struct rec_instruction);
}

static int keep(int kind, const void *rec, void *arg)
{
    struct seen *s = arg;
    size_t n = 1 + rec_size(kind);
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->bytes = realloc(s->bytes, s->cap);
        if (s->bytes == NULL)
            abort();
    }
    s->bytes[s->len] = (uint8_t)kind;
    memcpy(s->bytes + s->len + 1, rec, n - 1);
    s->len += n;
    s->n++;
    return 0;
}

static int compare(int kind, const void *rec, void *arg)
{
    struct seen *s = arg;
    size_t n = 1 + rec_size(kind);
    if (s->checked + n > s->len || s->bytes[s->checked] != (uint8_t)kind ||
        memcmp(s->bytes + s->checked + 1, rec, n - 1) != 0)
        __builtin_trap(); /* the readers disagree on a record */
    s->checked += (unsigned)n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */
    memcpy(buf, data, size);
    struct export_parsed p, q, r;
    struct uv_error e;
    struct seen s = {0, 0, 0, 0, NULL};
    uv_status lean = exportfile_parse(buf, size, &p, keep, &s, &e);
    uv_status ref = ref_exportfile_parse(buf, size, &r, compare, &s, &e);
    if ((lean == UVS_OK) != (ref == UVS_OK))
        __builtin_trap(); /* one reader accepts what the other refuses */
    if (lean == UVS_OK) {
        if (s.n != p.h.receipts + p.h.audits + p.h.closings + p.h.instructions || s.checked != s.len ||
            memcmp(&p, &r, sizeof p) != 0)
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
    free(s.bytes);
    free(buf);
    return 0;
}
