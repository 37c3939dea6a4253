/* fuzz_rfcard.c — the RF card driver's handling of card responses: a whole
   sale against responses from the fuzz input, and the layout's parsers on
   raw blocks (what parses must encode back to the same bytes). */
#include <stdint.h>
#include <string.h>

#include "../../drivers/rfcard/rf_layout.h"
#include "fuzz_cardhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fz_sale(univend_driver_entry(UV_ABI_MAJOR, UV_ABI_MINOR), "RF-MF1K", data, size);

    uint8_t b[4 * RF_BLOCK] = {0}, back[4 * RF_BLOCK] = {0};
    memcpy(b, data, size < sizeof b ? size : sizeof b);
    struct rf_identity id;
    if (rf_identity_parse(b, &id) == RF_ID_OK) {
        struct rf_identity id2;
        if (rf_identity_encode(&id, back) != 0 || rf_identity_parse(back, &id2) != 0 ||
            memcmp(&id, &id2, sizeof id) != 0)
            __builtin_trap();
    }
    int32_t v;
    uint8_t addr;
    if (rf_value_parse(b, &v, &addr) == 0) {
        rf_value_encode(v, addr, back);
        if (memcmp(back, b, RF_BLOCK) != 0)
            __builtin_trap();
    }
    struct rf_mdata md;
    if (rf_mdata_parse(b, &md) == 0) {
        rf_mdata_encode(&md, back);
        if (memcmp(back, b, RF_BLOCK) != 0)
            __builtin_trap();
    }
    uint8_t c[4], bits[3];
    if (rf_access_decode(b + 6, c) == 0) {
        rf_access_encode(c, bits);
        if (memcmp(bits, b + 6, 3) != 0)
            __builtin_trap();
    }
    return 0;
}
