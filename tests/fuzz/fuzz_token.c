/* fuzz_token.c — STS token text: parse, then decrypt and check under a fixed key. */
#include <stdint.h>
#include <string.h>

#include <gcrypt.h>

#include "sts_crypt.h"
#include "sts_token.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64];
    static const uint8_t dk[8] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE};
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sts_token66 t;
    if (sts_token_from_digits(text, &t) == STS_OK) {
        char back[21];
        sts_token_to_digits(t, back);
        sts_token66 t2;
        if (sts_token_from_digits(back, &t2) != STS_OK || t2.hi != t.hi || t2.lo != t.lo)
            __builtin_trap(); /* digits must round-trip */
    }
    sts_block_fields f;
    sts_token_decode(dk, 7, text, &f);
    sts_token_decode(dk, 9, text, &f);
    return 0;
}
