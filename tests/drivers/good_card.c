/*
 * good_card.c — a valid *card* driver, "good-card", claiming TST-C1.
 *
 * Medium: memory card. It has no tokens, so it offers no decode_token (which
 * only token drivers must have) but does offer read_medium and issue_mgmt.
 * issue_credit "writes the card": no tokens, medium_written = 1.
 */
#include "../../drivers/univend_driver.h"
#include <stdio.h>
#include <string.h>

static int card_read_medium(void *ctx, struct uv_medium_info *info);
static int card_issue_mgmt(void *ctx, const struct uv_meter *meter,
                           const struct uv_mgmt_request *req, struct uv_issue_result *out);

#define TD_NAME "good-card"
#define TD_DESCRIPTION "test card driver (pretends to write a memory card)"
#define TD_MEDIA UV_MEDIUM_MEMORY_CARD
#define TD_CODES {"TST-C1", NULL}
#define TD_DECODE_TOKEN NULL
#define TD_READ_MEDIUM card_read_medium
#define TD_ISSUE_MGMT card_issue_mgmt
/* the cards it reads: any PC/SC part 3 storage card (a wide pattern: the
   storage-card header only, so a driver with a narrower pattern is asked first) */
static const struct uv_atr_pattern card_atr[] = {
    {"3B8F8001804F0CA0000003060000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFF0000000000000000"},
    {NULL, NULL}};
#define TD_ATR_PATTERNS card_atr
/* the card carries the credit: no token text */
#define TD_AFTER_ISSUE                                                                     \
    memset(out->tokens, 0, sizeof out->tokens);                                            \
    out->n_tokens = 0;                                                                     \
    out->medium_written = 1;
#include "good_a.c"

static int card_read_medium(void *ctx, struct uv_medium_info *info)
{
    if (ctx == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    snprintf(info->meter_number, sizeof info->meter_number, "CARD-0001");
    snprintf(info->type_code, sizeof info->type_code, "TST-C1");
    snprintf(info->summary, sizeof info->summary, "test memory card CARD-0001");
    return UV_OK;
}

static int card_issue_mgmt(void *ctx, const struct uv_meter *meter,
                           const struct uv_mgmt_request *req, struct uv_issue_result *out)
{
    (void)meter;
    if (ctx == NULL || req == NULL || out == NULL || out->struct_size < sizeof *out)
        return UV_E_ARG;
    if (req->op != UV_MGMT_CLEAR_TAMPER)
        return UV_E_UNSUPPORTED;
    out->n_tokens = 0;
    out->medium_written = 1;
    return UV_OK;
}
