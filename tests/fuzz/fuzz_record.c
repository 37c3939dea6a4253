/* fuzz_record.c — stored records: decode every layout; what decodes re-encodes the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../db/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct rec_layout *ls[] = {&rec_meter_layout, &rec_customer_layout, &rec_tariff_layout,
                                     &rec_typeidx_layout, &rec_receipt_layout, &rec_audit_layout,
                                     &rec_key_layout, &rec_clerk_layout, &rec_closing_layout,
                                     &rec_export_layout, &rec_hq_kiosk_layout, &rec_hq_file_layout,
                                     &rec_credit_layout, &rec_credit_grant_layout};
    static uint8_t rec[8192], rec2[8192], buf[REC_BUF_MAX * 2];
    for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
        if (rec_decode(ls[i], data, size, rec) != 0)
            continue;
        size_t n = rec_encode(ls[i], rec, buf, sizeof buf);
        if (n == 0 || rec_decode(ls[i], buf, n, rec2) != 0 ||
            memcmp(rec, rec2, ls[i]->struct_size) != 0)
            __builtin_trap();
    }
    return 0;
}
