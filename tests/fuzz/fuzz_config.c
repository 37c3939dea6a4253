/* fuzz_config.c — univend.conf, meter parameters and money text. */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "money.h"
#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct uv_config c;
    struct uv_error e;
    config_defaults(&c, "/nonexistent");
    config_parse(&c, (const char *)data, size, &e);

    char text[600];
    if (size < sizeof text) {
        memcpy(text, data, size);
        text[size] = '\0';
        struct uv_param_set ps;
        params_parse(text, &ps);
        int64_t v;
        uint32_t bp;
        for (unsigned d = 0; d <= 4; d++) {
            if (money_parse(text, d, &v, &e) == UVS_OK) {
                char out[40];
                money_format(v, d, out, sizeof out);
                int64_t v2;
                if (money_parse(out, d, &v2, &e) != UVS_OK || v2 != v)
                    __builtin_trap(); /* what parses, formats and parses back */
            }
            price_parse(text, d, &v, &e);
        }
        percent_parse(text, &bp, &e);
    }
    return 0;
}
