/* fuzz_drvproto.c — the parent's decoder of what a driver host process
   sends (src/drvproto.c). A driver runs third-party code: every byte it
   sends is hostile. First byte picks the call whose answer is decoded (or
   the hello's driver description); the rest is the frame body. Decoding
   never reads past the body, and whatever is accepted stays within the
   caller's structures: texts ended, counts within their arrays. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drvproto.h"

static void check_text(const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint8_t calls[] = {DRVP_VERIFY, DRVP_READ_MEDIUM, DRVP_ISSUE_CREDIT,
                                    DRVP_ISSUE_MGMT, DRVP_DECODE, DRVP_STRERROR, DRVP_HELLO};
    uint8_t which = calls[data[0] % sizeof calls];
    size_t len = size - 1;
    /* an exact-size heap copy, so any over-read is caught */
    uint8_t *body = malloc(len ? len : 1);
    if (body == NULL)
        return 0;
    memcpy(body, data + 1, len);
    if (which == DRVP_HELLO) {
        struct drvp_r r;
        struct uv_driver_info info;
        if (drvp_open(&r, body, len) == 0) {
            (void)drvp_get_u32(&r);
            char msg[512];
            drvp_get_text(&r, msg, sizeof msg);
            drvp_get_info(&r, &info);
            if (drvp_done(&r) == 0) {
                if (info.n_codes == 0 || info.n_codes > UV_TYPE_CODES_MAX ||
                    info.n_atr > UV_ATR_PATTERNS_MAX)
                    abort();
                for (unsigned i = 0; i < info.n_codes; i++)
                    if (!loader_type_code_valid(info.codes[i]))
                        abort();
                check_text(info.name, sizeof info.name);
            }
        }
        free(body);
        return 0;
    }
    union {
        struct uv_issue_result issue;
        struct uv_medium_info medium;
        struct uv_token_info token;
    } out;
    memset(&out, 0, sizeof out);
    out.issue.struct_size = which == DRVP_ISSUE_CREDIT || which == DRVP_ISSUE_MGMT
                                ? sizeof out.issue
                            : which == DRVP_DECODE ? sizeof out.token
                                                   : sizeof out.medium;
    int rc = 0;
    char le[UV_TEXT_MAX + 1];
    if (drvp_decode_reply(body, len, which, 7, &rc, le, which == DRVP_STRERROR ? NULL : &out) ==
        0) {
        check_text(le, sizeof le);
        if (rc < 0)
            abort();
        if (which == DRVP_ISSUE_CREDIT || which == DRVP_ISSUE_MGMT) {
            if (out.issue.n_tokens > UV_TOKENS_MAX || out.issue.state_len > UV_STATE_MAX ||
                out.issue.medium_written > 1)
                abort();
            for (unsigned i = 0; i < out.issue.n_tokens; i++)
                check_text(out.issue.tokens[i], sizeof out.issue.tokens[i]);
            check_text(out.issue.token_id, sizeof out.issue.token_id);
        } else if (which == DRVP_DECODE) {
            check_text(out.token.description, sizeof out.token.description);
        } else if (which != DRVP_STRERROR) {
            check_text(out.medium.summary, sizeof out.medium.summary);
            check_text(out.medium.meter_number, sizeof out.medium.meter_number);
        }
    }
    free(body);
    return 0;
}
