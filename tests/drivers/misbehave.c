/*
 * misbehave.c — a valid driver (good_a's tokens, type code TST-M1, with
 * engineering tokens and read_medium) that misbehaves on demand, for the
 * tests of the driver host process. Its one option, from univend.conf:
 *
 *     driver.misbehave.fault = <what>-<call>
 *
 *   what: crash  (an illegal instruction: the process dies of a signal)
 *         hang   (never returns)
 *         exit   (ends its process with status 3; 1 under LeakSanitizer,
 *                which reports the forked heap at exit)
 *         garbage (writes bytes that are no frame onto the host's socket,
 *                 descriptor 3, then returns normally)
 *   call: verify, credit, decode, mgmt, read
 *
 *     driver.misbehave.meter = N   misbehave only in calls about meter N
 *
 * Without the options it behaves, so the same file serves the sale that must
 * work after a failure. Engineering tokens are 20 zeros (no credit).
 */
#include <signal.h>
#include <unistd.h>

#define TD_NAME "misbehave"
#define TD_CODES {"TST-M1", NULL}
#define TD_ISSUE_CREDIT mb_issue_credit
#define TD_DECODE_TOKEN mb_decode_token
#define TD_ISSUE_MGMT mb_issue_mgmt
#define TD_READ_MEDIUM mb_read_medium
#include "../../drivers/univend_driver.h"
static int mb_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out);
static int mb_decode_token(void *ctx, const struct uv_meter *meter, const char *token,
                           struct uv_token_info *out);
static int mb_issue_mgmt(void *ctx, const struct uv_meter *meter,
                         const struct uv_mgmt_request *req, struct uv_issue_result *out);
static int mb_read_medium(void *ctx, struct uv_medium_info *info);
#define TD_OPEN mb_open
#define TD_VERIFY mb_verify
static int mb_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx);
static int mb_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info);
#include "good_a.c"

#define MB_MGMT_TOKEN "00000000000000000000"

/* The context: good_a's, then the fault. td_open() allocates only a
   struct td_ctx, so the fault lives in a wrapper holding one. */
struct mb_ctx {
    struct td_ctx td; /* first: good_a's functions take this pointer */
    char fault[32];
    char meter[32]; /* "" : every call */
};

static int mb_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    void *inner = NULL;
    int rc = td_open(svc, host, config, n_config, &inner);
    if (rc != UV_OK)
        return rc;
    struct mb_ctx *c = realloc(inner, sizeof *c);
    if (c == NULL) {
        free(inner);
        return UV_E_NOMEM;
    }
    c->fault[0] = c->meter[0] = '\0';
    for (size_t i = 0; i < n_config; i++) {
        if (strcmp(config[i].name, "fault") == 0)
            snprintf(c->fault, sizeof c->fault, "%s", config[i].value);
        if (strcmp(config[i].name, "meter") == 0)
            snprintf(c->meter, sizeof c->meter, "%s", config[i].value);
    }
    *ctx = c;
    return UV_OK;
}

/* Misbehave here if told to. */
static void mb_fault(void *ctx, const struct uv_meter *m, const char *call)
{
    struct mb_ctx *c = ctx;
    const char *dash = strchr(c->fault, '-');
    if (dash == NULL || strcmp(dash + 1, call) != 0)
        return;
    if (c->meter[0] && (m == NULL || m->number == NULL || strcmp(m->number, c->meter) != 0))
        return;
    size_t n = (size_t)(dash - c->fault);
    if (n == 5 && strncmp(c->fault, "crash", 5) == 0)
        __builtin_trap();
    if (n == 4 && strncmp(c->fault, "hang", 4) == 0)
        for (;;)
            pause();
    if (n == 4 && strncmp(c->fault, "exit", 4) == 0)
        exit(3);
    if (n == 7 && strncmp(c->fault, "garbage", 7) == 0) {
        static const unsigned char junk[] = {0, 0, 0, 12, 9, 9, 'n', 'o', 't', ' ',
                                             'a', ' ', 'f', 'r', 'a', 'm'};
        if (write(3, junk, sizeof junk) < 0) {
        }
    }
}

static int mb_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    if (ctx)
        mb_fault(ctx, meter, "verify");
    return td_verify(ctx, meter, info);
}

static int mb_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out)
{
    if (ctx)
        mb_fault(ctx, meter, "credit");
    return td_issue_credit(ctx, meter, req, out);
}

static int mb_decode_token(void *ctx, const struct uv_meter *meter, const char *token,
                           struct uv_token_info *out)
{
    if (ctx)
        mb_fault(ctx, meter, "decode");
    if (ctx && token && out && out->struct_size >= sizeof *out &&
        strcmp(token, MB_MGMT_TOKEN) == 0) {
        memset((char *)out + sizeof out->struct_size, 0, sizeof *out - sizeof out->struct_size);
        snprintf(out->description, sizeof out->description, "misbehave engineering token");
        return UV_OK;
    }
    return td_decode_token(ctx, meter, token, out);
}

static int mb_issue_mgmt(void *ctx, const struct uv_meter *meter,
                         const struct uv_mgmt_request *req, struct uv_issue_result *out)
{
    struct td_ctx *c = ctx;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out)
        return UV_E_ARG;
    mb_fault(ctx, meter, "mgmt");
    int rc = td_meter_ok(c, meter);
    if (rc != UV_OK)
        return rc;
    out->n_tokens = 1;
    snprintf(out->tokens[0], sizeof out->tokens[0], "%s", MB_MGMT_TOKEN);
    out->amount_issued = 0;
    out->state_len = 0;
    return UV_OK;
}

static int mb_read_medium(void *ctx, struct uv_medium_info *info)
{
    if (ctx == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    mb_fault(ctx, NULL, "read");
    snprintf(info->meter_number, sizeof info->meter_number, "01234567897");
    snprintf(info->type_code, sizeof info->type_code, "TST-M1");
    snprintf(info->summary, sizeof info->summary, "misbehave test card");
    return UV_OK;
}
