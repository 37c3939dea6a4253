/*
 * exit_in_decode.c — loads and passes its self test, but decode_token()
 * calls exit(0): the checking child ends "successfully" in the middle of the
 * conformance checks. `univend driver check` must call that a failure, not
 * a pass.
 */
#include <stdlib.h>

#include "../../drivers/univend_driver.h"
#define TD_NAME "exit-in-decode"
#define TD_CODES {"TST-E1", NULL}
#define TD_DECODE_TOKEN td_exit_in_decode
static int td_exit_in_decode(void *ctx, const struct uv_meter *meter, const char *token,
                             struct uv_token_info *out);
#include "good_a.c"

static int td_exit_in_decode(void *ctx, const struct uv_meter *meter, const char *token,
                             struct uv_token_info *out)
{
    (void)ctx;
    (void)meter;
    (void)token;
    (void)out;
    exit(0);
}
