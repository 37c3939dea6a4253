/* fuzz_drvsig.c — driver signature texts (src/drvsig.c), outside input on
   every kiosk: parsing never reads past the input, and whatever parses is
   the canonical text — formatting it again gives back the very bytes, so
   what is verified is exactly what was read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drvsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct drvsig d;
    struct uv_error e;
    char out[DRVSIG_MAX + 1];
    /* an exact-size heap copy, so any over-read is caught */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    if (drvsig_parse(text, size, &d, &e) == UVS_OK) {
        size_t n = drvsig_format(&d, out, sizeof out, &e);
        if (n != size || memcmp(out, text, size) != 0 || d.body_len >= size)
            abort();
        /* the signature check itself must be safe on anything that parses */
        drvsig_parse_verified(text, size, &d, &e);
    }
    free(text);
    return 0;
}
