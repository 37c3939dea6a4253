/* fuzz_descriptor.c — driver metadata: a descriptor built from fuzz bytes
   must be refused or accepted cleanly, never read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static int dummy(void) { return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 16)
        return 0;
    struct uv_driver d;
    memset(&d, 0, sizeof d);
    /* header fields straight from the input */
    uint32_t flags;
    memcpy(&d.magic, data, 4);
    memcpy(&d.abi_major, data + 4, 2);
    memcpy(&d.abi_minor, data + 6, 2);
    memcpy(&d.struct_size, data + 8, 4);
    memcpy(&flags, data + 12, 4);
    if (flags & 1) d.magic = UV_DRIVER_MAGIC;
    if (flags & 2) d.abi_major = UV_ABI_MAJOR;
    if (flags & 4) d.struct_size = sizeof d;
    d.media = flags >> 16;
    /* the rest: NUL-separated strings, each in its own exact-size heap copy so
       any over-read is caught */
    char *strs[80] = {0};
    const char *codes[72] = {0};
    size_t ns = 0, pos = 16;
    while (pos < size && ns < 80) {
        const uint8_t *z = memchr(data + pos, 0, size - pos);
        size_t l = z ? (size_t)(z - (data + pos)) : size - pos;
        strs[ns] = malloc(l + 1);
        memcpy(strs[ns], data + pos, l);
        strs[ns][l] = '\0';
        ns++;
        pos += l + 1;
    }
    d.name = ns > 0 ? strs[0] : NULL;
    d.vendor = ns > 1 ? strs[1] : NULL;
    d.version = ns > 2 ? strs[2] : NULL;
    d.description = ns > 3 ? strs[3] : NULL;
    for (size_t i = 4; i < ns && i - 4 < 70; i++)
        codes[i - 4] = strs[i];
    d.type_codes = (flags & 8) ? NULL : codes;
    void *fn = (void *)dummy;
    if (flags & 0x100) memcpy(&d.open, &fn, sizeof fn);
    if (flags & 0x200) memcpy(&d.close, &fn, sizeof fn);
    if (flags & 0x400) memcpy(&d.verify, &fn, sizeof fn);
    if (flags & 0x800) memcpy(&d.issue_credit, &fn, sizeof fn);
    if (flags & 0x1000) memcpy(&d.strerror, &fn, sizeof fn);
    if (flags & 0x2000) memcpy(&d.last_error, &fn, sizeof fn);
    if (flags & 0x4000) memcpy(&d.self_test, &fn, sizeof fn);
    if (flags & 0x8000) memcpy(&d.decode_token, &fn, sizeof fn);
    struct uv_driver_info info;
    struct uv_error e;
    if (loader_validate(&d, &info, &e) == UVS_OK) {
        if (info.n_codes == 0 || info.name[0] == '\0')
            __builtin_trap(); /* accepted descriptors have a name and codes */
    }
    for (size_t i = 0; i < ns; i++)
        free(strs[i]);
    return 0;
}
