/*
 * sloppy.c — loads, passes its self test, and sells correctly, but trusts
 * its arguments: issue_credit dereferences a NULL request. `univend driver
 * check` must report that conformance check as a crash, and univend must
 * go on. (Registration alone would not notice.)
 */
#include <stddef.h>

#define TD_NAME "sloppy"
#define TD_CODES {"TST-S1", NULL}
#define TD_ISSUE_CREDIT sloppy_issue_credit
struct uv_meter;
struct uv_credit_request;
struct uv_issue_result;
static int sloppy_issue_credit(void *ctx, const struct uv_meter *m,
                               const struct uv_credit_request *req, struct uv_issue_result *out);
#include "good_a.c"

__attribute__((no_sanitize_address, no_sanitize_undefined)) static int
sloppy_issue_credit(void *ctx, const struct uv_meter *m, const struct uv_credit_request *req,
                    struct uv_issue_result *out)
{
    volatile uint64_t amount = ((volatile const struct uv_credit_request *)req)->amount;
    (void)amount;
    return td_issue_credit(ctx, m, req, out);
}
