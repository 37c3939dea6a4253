/* cli_mgmt.c — `univend engineering ...`: engineering (management) tokens. */
#include "cli_mgmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masterdata.h"
#include "mgmt.h"
#include "params.h"
#include "receipt.h"

#define ENG_MAX_OPT 16

static const char eng_usage[] =
    "usage: univend engineering ACTION --meter N ... --reason TEXT\n"
    "  power-limit --meter N --watts W --reason TEXT      set maximum power limit\n"
    "  clear-credit --meter N [--register R] --reason TEXT\n"
    "               R: electricity (default), water, gas, time, all\n"
    "  clear-tamper --meter N --reason TEXT               clear tamper condition\n"
    "  tariff-rate --meter N --rate R --reason TEXT       set tariff rate (0..65535)\n"
    "  key-change --meter N [--new-krn K] [--new-sgc S] [--new-ti T] [--new-kt KT]\n"
    "             [--new-bdt 2014] [--new-key REF] [--new-ken KEN] --reason TEXT\n"
    "  rollover --meter N --reason TEXT    base date 1993 -> 2014 with the next key revision\n"
    "  list [--meter N]                    engineering tokens issued here\n"
    "Supervisors only; every token is recorded and audited with its reason.\n";

struct eng_args {
    const char *name[ENG_MAX_OPT];
    const char *val[ENG_MAX_OPT];
    int n;
};

static int eng_fail_usage(const char *why)
{
    if (why)
        fprintf(stderr, "univend: %s\n", why);
    fputs(eng_usage, stderr);
    return UVS_USAGE;
}

/* Only "--name value" pairs from `allowed` (" a b c "), each at most once. */
static int eng_parse(int argc, char **argv, const char *allowed, struct eng_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        char key[48];
        if (strncmp(s, "--", 2) != 0 || s[2] == '\0' || strlen(s) > 40) {
            fprintf(stderr, "univend: unexpected argument %s\n", s);
            return -1;
        }
        snprintf(key, sizeof key, " %s ", s + 2);
        if (strstr(allowed, key) == NULL) {
            fprintf(stderr, "univend: unknown option %s\n", s);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "univend: option %s needs a value\n", s);
            return -1;
        }
        for (int j = 0; j < a->n; j++)
            if (strcmp(a->name[j], s + 2) == 0) {
                fprintf(stderr, "univend: option %s given twice\n", s);
                return -1;
            }
        if (a->n >= ENG_MAX_OPT)
            return -1;
        a->name[a->n] = s + 2;
        a->val[a->n++] = argv[++i];
    }
    return 0;
}

static const char *eng_opt(const struct eng_args *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->name[i], name) == 0)
            return a->val[i];
    return NULL;
}

static int eng_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return -1;
    *out = v;
    return 0;
}

static int eng_status(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

/* "name=value\n" added to params (the core checks names and values). */
static uv_status eng_param(struct uv_ctx *ctx, char *params, size_t cap, const char *name,
                           const char *value)
{
    char line[160];
    if (value == NULL)
        return UVS_OK;
    if ((size_t)snprintf(line, sizeof line, "%s=%s", name, value) >= sizeof line)
        return uv_fail(&ctx->err, UVS_INPUT, "%s is too long", name);
    return params_add(params, cap, line, &ctx->err);
}

static void print_tokens(const struct rec_mgmt *r)
{
    char tok[96];
    for (uint32_t i = 0; i < r->n_tokens && i < REC_TOKENS; i++) {
        token_group(r->tokens[i], tok, sizeof tok);
        if (r->n_tokens > 1)
            printf("TOKEN %u/%u %s\n", i + 1, r->n_tokens, tok);
        else
            printf("TOKEN %s\n", tok);
    }
}

static void print_record(const struct rec_mgmt *r)
{
    printf("engineering %llu: %s for meter %s", (unsigned long long)r->number,
           mgmt_op_name(r->op), r->meter);
    if (r->op == UV_MGMT_SET_POWER_LIMIT)
        printf(", %llu W", (unsigned long long)r->arg);
    else if (r->op == UV_MGMT_SET_TARIFF_RATE)
        printf(", rate %llu", (unsigned long long)r->arg);
    printf(" (by %s: %s)\n", r->clerk, r->reason);
    if (r->token_id[0])
        printf("token id %s\n", r->token_id);
    print_tokens(r);
}

static void print_keychange_steps(const struct rec_mgmt *r, const char *krn, const char *bdt,
                                  int rollover)
{
    char t1[96], t2[96];
    if (r->n_tokens != 2)
        return;
    token_group(r->tokens[0], t1, sizeof t1);
    token_group(r->tokens[1], t2, sizeof t2);
    printf("\nFor the customer, to type on the meter's keypad IN THIS ORDER:\n"
           "  1. %s   (key change, 1st section)\n"
           "  2. %s   (key change, 2nd section)\n"
           "Both tokens are needed; the meter changes its key after the second.\n",
           t1, t2);
    printf("The meter then uses key revision %s%s%s.\n", krn ? krn : "(unchanged)",
           bdt ? ", base date " : "", bdt ? bdt : "");
    printf("Credit tokens sold before this change are refused afterwards: enter any unused\n"
           "one BEFORE the key change tokens.\n");
    if (rollover)
        printf("Roll-over: the meter forgets the token ids it has seen (new base date).\n");
    printf("Sell new credit only after both tokens have been entered.\n");
}

static int cmd_keychange(struct uv_ctx *ctx, const char *meter, const struct eng_args *a,
                         int rollover)
{
    char params[REC_PARAMS_MAX] = "";
    char next_krn[8] = "";
    const char *new_krn = eng_opt(a, "new-krn"), *new_bdt = eng_opt(a, "new-bdt");
    struct rec_meter m;
    struct uv_param_set ps;
    uv_status st = meter_get(ctx, NULL, meter, &m, 0);
    if (st != UVS_OK)
        return eng_status(ctx, st);
    if (params_parse(m.params, &ps) != 0)
        return eng_status(ctx, uv_fail(&ctx->err, UVS_STORE,
                                       "the parameters of meter %s are damaged", meter));
    const char *bdt = params_get(ps.p, ps.n, "bdt"), *krn = params_get(ps.p, ps.n, "krn");
    if (rollover) {
        /* the guided 1993 -> 2014 change: base date 2014 and the next key revision */
        char rp[64];
        if ((st = mgmt_rollover_params(ctx, meter, rp, sizeof rp, next_krn, sizeof next_krn)) !=
            UVS_OK)
            return eng_status(ctx, st);
        new_krn = next_krn;
        new_bdt = "2014";
        printf("Roll-over of meter %s: base date 1993 -> 2014, key revision %s -> %s.\n", meter,
               krn, next_krn);
    }
    static const char *const opts[][2] = {
        {"new-sgc", "new_sgc"}, {"new-ti", "new_ti"},   {"new-kt", "new_kt"},
        {"new-key", "new_key"}, {"new-ken", "new_ken"},
    };
    st = eng_param(ctx, params, sizeof params, "new_krn", new_krn);
    if (st == UVS_OK)
        st = eng_param(ctx, params, sizeof params, "new_bdt", new_bdt);
    for (size_t i = 0; st == UVS_OK && i < sizeof opts / sizeof opts[0]; i++)
        st = eng_param(ctx, params, sizeof params, opts[i][1], eng_opt(a, opts[i][0]));
    if (st != UVS_OK)
        return eng_status(ctx, st);
    if (params[0] == '\0')
        return eng_fail_usage("key-change needs at least one --new-... value");
    struct rec_mgmt r;
    st = vend_mgmt(ctx, meter, UV_MGMT_KEY_CHANGE, 0, params, eng_opt(a, "reason"), &r);
    if (st != UVS_OK)
        return eng_status(ctx, st);
    print_record(&r);
    print_keychange_steps(&r, new_krn ? new_krn : krn, new_bdt ? new_bdt : bdt,
                          new_bdt && strcmp(new_bdt, bdt ? bdt : "2014") != 0);
    return 0;
}

int cli_engineering(struct uv_ctx *ctx, int argc, char **argv)
{
    struct eng_args a;
    if (argc < 1)
        return eng_fail_usage("engineering: which action?");
    const char *act = argv[0];
    if (strcmp(act, "help") == 0 || strcmp(act, "--help") == 0)
        return fputs(eng_usage, stdout), 0;
    if (strcmp(act, "list") == 0) {
        if (eng_parse(argc - 1, argv + 1, " meter ", &a))
            return eng_fail_usage(NULL);
        return eng_status(ctx, mgmt_list(ctx, eng_opt(&a, "meter"), stdout));
    }
    const char *allowed = strcmp(act, "power-limit") == 0    ? " meter reason watts "
                          : strcmp(act, "clear-credit") == 0 ? " meter reason register "
                          : strcmp(act, "clear-tamper") == 0 ? " meter reason "
                          : strcmp(act, "tariff-rate") == 0  ? " meter reason rate "
                          : strcmp(act, "key-change") == 0
                              ? " meter reason new-krn new-sgc new-ti new-kt new-bdt new-key new-ken "
                          : strcmp(act, "rollover") == 0 ? " meter reason "
                                                         : NULL;
    if (allowed == NULL)
        return eng_fail_usage("engineering: unknown action");
    if (eng_parse(argc - 1, argv + 1, allowed, &a))
        return eng_fail_usage(NULL);
    const char *meter = eng_opt(&a, "meter");
    if (meter == NULL)
        return eng_fail_usage("--meter N is required");
    if (strcmp(act, "key-change") == 0 || strcmp(act, "rollover") == 0)
        return cmd_keychange(ctx, meter, &a, act[0] == 'r');

    uint32_t op = 0;
    uint64_t arg = 0;
    char params[REC_PARAMS_MAX] = "";
    if (strcmp(act, "power-limit") == 0) {
        op = UV_MGMT_SET_POWER_LIMIT;
        if (eng_u64(eng_opt(&a, "watts"), &arg))
            return eng_fail_usage("power-limit needs --watts W (a whole number of watts)");
    } else if (strcmp(act, "tariff-rate") == 0) {
        op = UV_MGMT_SET_TARIFF_RATE;
        if (eng_u64(eng_opt(&a, "rate"), &arg))
            return eng_fail_usage("tariff-rate needs --rate R (a whole number)");
    } else if (strcmp(act, "clear-credit") == 0) {
        op = UV_MGMT_CLEAR_CREDIT;
        uv_status st = eng_param(ctx, params, sizeof params, "register", eng_opt(&a, "register"));
        if (st != UVS_OK)
            return eng_status(ctx, st);
    } else {
        op = UV_MGMT_CLEAR_TAMPER;
    }
    struct rec_mgmt r;
    uv_status st = vend_mgmt(ctx, meter, op, arg, params, eng_opt(&a, "reason"), &r);
    if (st != UVS_OK)
        return eng_status(ctx, st);
    print_record(&r);
    return 0;
}
