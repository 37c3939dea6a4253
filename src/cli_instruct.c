/* cli_instruct.c — instruction files on the command line. */
#include "cli_instruct.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blacklist.h"
#include "hqinstruct.h"
#include "instruct.h"

static int done(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

static int hq_usage(const char *why)
{
    if (why)
        fprintf(stderr, "univend: %s\n", why);
    fputs("usage: univend hq instruct (--kiosk ID | --group NAME | --all) --out DIR\n"
          "       [--expires-days N] [--driver FILE.so]... [RECORDS-FILE | -]\n"
          "  Builds one instruction file signed with head office's key, each addressed kiosk\n"
          "  numbered in its own sequence. RECORDS-FILE holds record lines as in\n"
          "  docs/instruction-format.md (tariff, customer, debt, meter, meter-remove, clerk,\n"
          "  clerk-disable, clerk-enable, driver-retire, typeindex, trust-add, revoke-key,\n"
          "  blacklist, blacklist-remove, credit, time-floor); --driver embeds a driver\n"
          "  package (its .sig beside it is taken too).\n",
          stderr);
    return UVS_USAGE;
}

int cli_hq_instruct(struct uv_ctx *ctx, int argc, char **argv)
{
    struct hq_instruct_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--all") == 0) {
            o.all = 1;
        } else if (strcmp(a, "--kiosk") == 0 && has) {
            o.kiosk = argv[++i];
        } else if (strcmp(a, "--group") == 0 && has) {
            o.group = argv[++i];
        } else if (strcmp(a, "--out") == 0 && has) {
            o.out_dir = argv[++i];
        } else if (strcmp(a, "--expires-days") == 0 && has) {
            char *end;
            errno = 0;
            unsigned long d = strtoul(argv[++i], &end, 10);
            if (*end || errno || d == 0 || d > 3650 || argv[i][0] == '-')
                return hq_usage("--expires-days is 1 to 3650");
            o.expires_days = (unsigned)d;
        } else if (strcmp(a, "--driver") == 0 && has) {
            if (o.n_drivers >= HQ_INSTRUCT_DRIVERS_MAX)
                return hq_usage("at most 8 drivers in one file");
            o.drivers[o.n_drivers++] = argv[++i];
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && o.records == NULL) {
            o.records = a;
        } else {
            return hq_usage(a[0] == '-' ? "unknown option or missing value" : "one records file");
        }
    }
    if (!!o.kiosk + !!o.group + o.all != 1 || o.out_dir == NULL)
        return hq_usage(NULL);
    if (o.records == NULL && o.n_drivers == 0)
        return hq_usage("nothing to send: give a records file or --driver");
    return done(ctx, hq_instruct(ctx, &o, stdout));
}

int cli_instruction(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[0], "apply") == 0) {
        struct instruct_stats s;
        uv_status st = instruct_apply(ctx, argv + 1, (size_t)argc - 1, stdout, &s);
        if (s.files)
            printf("%u file(s): %u applied, %u already applied, %u for other kiosks, %u refused\n",
                   s.files, s.applied, s.already, s.skipped, s.refused);
        return done(ctx, st);
    }
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return done(ctx, instruct_list(ctx, stdout));
    if (argc == 1 && strcmp(argv[0], "state") == 0) {
        uint64_t seq;
        int64_t hq;
        uv_status st = instruct_state(ctx, NULL, &seq, &hq);
        if (st == UVS_OK) {
            char when[32] = "never";
            time_t t = (time_t)hq;
            struct tm tm;
            if (hq)
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
            printf("last instruction applied: %llu\nhead office time of it:   %s (%lld)\n",
                   (unsigned long long)seq, when, (long long)hq);
        }
        return done(ctx, st);
    }
    fputs("usage: univend instruction apply FILE|DIR... | list | state\n"
          "  apply   verify and apply head office instruction files (supervisor)\n"
          "  list    the instruction files applied here\n"
          "  state   the last one applied and head office's time in it\n",
          stderr);
    return UVS_USAGE;
}

int cli_blacklist(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return done(ctx, blacklist_list(ctx, stdout));
    if (argc == 2 && strcmp(argv[0], "check") == 0) {
        int r = blacklist_contains(ctx, NULL, argv[1]);
        if (r < 0)
            return done(ctx, ctx->err.status);
        printf("%s %s\n", argv[1], r ? "is BLACKLISTED" : "is not blacklisted");
        return r ? UVS_REFUSED : 0;
    }
    fputs("usage: univend blacklist list | check SERIAL\n", stderr);
    return UVS_USAGE;
}
