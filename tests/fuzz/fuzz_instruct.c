/* fuzz_instruct.c — instruction files as a kiosk receives them: the parser
   and every record kind's check must refuse or accept cleanly, the counts
   of what was accepted must agree with the header, and a record line must
   be judged the same on its own (as head office checks it). */
#include <gcrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "instructfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return 0;
}

struct counts {
    uint64_t kiosks, records;
};

static int on_kiosk(const char *kiosk, uint64_t seq, void *arg)
{
    if (kiosk[0] == '\0' || seq == 0)
        __builtin_trap();
    ((struct counts *)arg)->kiosks++;
    return 0;
}

static int on_record(const struct instr_record *r, void *arg)
{
    if (r->k == NULL || r->kind == NULL || r->scope == NULL || r->run != NULL)
        __builtin_trap();
    for (size_t i = 0; i < r->nf; i++)
        if (r->f[i] == NULL)
            __builtin_trap();
    ((struct counts *)arg)->records++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exact size: over-reads are caught */
    memcpy(buf, data, size);
    struct instr_parsed p;
    struct uv_error e;
    struct counts c = {0, 0};
    if (instrfile_parse(buf, size, &p, on_kiosk, on_record, &c, &e) == UVS_OK) {
        if (c.kiosks != p.h.kiosks || c.records != p.h.records || p.body_len > size)
            __builtin_trap();
        uint8_t hash[32];
        instrfile_verify(buf, size, &p, hash, &e);
    }
    /* the input as one record line, as head office checks what it sends */
    const char *nl = memchr(buf, '\n', size);
    instrfile_check_line(buf, nl ? (size_t)(nl - buf) : size, 1, &e);
    free(buf);
    return 0;
}
