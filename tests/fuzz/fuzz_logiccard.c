/* fuzz_logiccard.c — the logic card driver's handling of card responses: a
   whole sale against responses from the fuzz input, and the layout's parsers
   on raw card memory (what parses must encode back to the same bytes). */
#include <stdint.h>
#include <string.h>

#include "../../drivers/logiccard/logic_layout.h"
#include "fuzz_cardhost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fz_sale(univend_driver_entry(UV_ABI_MAJOR, UV_ABI_MINOR), "LOGIC-4442", data, size);

    uint8_t mem[LC_MEM_SIZE] = {0}, back[LC_MEM_SIZE] = {0}, blk[LC_REC_LEN];
    memcpy(mem, data, size < sizeof mem ? size : sizeof mem);
    struct lc_identity id;
    if (lc_identity_parse(mem, sizeof mem, &id) == LC_ID_OK) {
        struct lc_identity id2;
        if (lc_identity_encode(&id, back) != 0 || lc_identity_parse(back, sizeof back, &id2) != 0 ||
            memcmp(&id, &id2, sizeof id) != 0)
            __builtin_trap();
    }
    struct lc_record r;
    if (lc_record_parse(mem + LC_OFF_REC0, &r) == 0) {
        lc_record_encode(&r, blk);
        if (memcmp(blk, mem + LC_OFF_REC0, LC_REC_LEN) != 0)
            __builtin_trap();
    }
    struct lc_mdata md;
    if (lc_mdata_parse(mem + LC_OFF_MDATA, &md) == 0) {
        lc_mdata_encode(&md, blk);
        if (memcmp(blk, mem + LC_OFF_MDATA, LC_REC_LEN) != 0)
            __builtin_trap();
    }
    return 0;
}
