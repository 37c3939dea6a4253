/* cli_float.c — `univend clock ...` and `univend credit`. */
#include "cli_float.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "credit.h"

static const char clock_usage[] =
    "usage: univend clock show | set \"YYYY-MM-DD HH:MM[:SS]\" | confirm\n"
    "  show      the kiosk's time, the host clock, the floor, and whether it may sell\n"
    "  set TIME  the kiosk's time is TIME (UTC) from now on; the host clock is not\n"
    "            touched, a correction is stored (supervisor, audited)\n"
    "  confirm   the time is right although it is far past the last activity\n"
    "            (supervisor, audited)\n";

static int report(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

int cli_clock(struct uv_ctx *ctx, int argc, char **argv)
{
    char when[40];
    if (argc == 1 && strcmp(argv[0], "show") == 0)
        return report(ctx, clock_show(ctx, stdout));
    if (argc == 1 && strcmp(argv[0], "confirm") == 0) {
        uv_status st = clock_confirm(ctx);
        if (st == UVS_OK) {
            clock_format(clock_now(ctx), when, sizeof when);
            printf("kiosk time %s confirmed\n", when);
        }
        return report(ctx, st);
    }
    if (argc >= 2 && argc <= 3 && strcmp(argv[0], "set") == 0) {
        char text[64];
        int64_t t;
        /* the time as one argument, or date and time as two */
        snprintf(text, sizeof text, "%s%s%s", argv[1], argc == 3 ? " " : "",
                 argc == 3 ? argv[2] : "");
        if (clock_parse(text, &t) != 0) {
            fprintf(stderr, "univend: '%s' is not a time: give \"YYYY-MM-DD HH:MM[:SS]\" (UTC)\n",
                    text);
            return UVS_INPUT;
        }
        uv_status st = clock_set(ctx, t);
        if (st == UVS_OK) {
            clock_format(clock_now(ctx), when, sizeof when);
            printf("kiosk time set: %s\n", when);
        }
        return report(ctx, st);
    }
    fputs(clock_usage, stderr);
    return UVS_USAGE;
}

int cli_credit(struct uv_ctx *ctx, int argc, char **argv)
{
    (void)argv;
    if (argc != 0) {
        fputs("usage: univend credit      the vending credit head office granted (supervisor)\n",
              stderr);
        return UVS_USAGE;
    }
    return report(ctx, credit_show(ctx, stdout));
}

void cli_credit_warning(struct uv_ctx *ctx)
{
    struct credit_status s;
    char line[400];
    if (credit_status(ctx, &s) == UVS_OK && credit_warning(ctx, &s, line, sizeof line))
        fprintf(stderr, "univend: warning: %s\n", line);
}
