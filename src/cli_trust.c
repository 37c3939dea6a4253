/* cli_trust.c — head office's signing key and the kiosk's trust list. */
#include "cli_trust.h"

#include <string.h>

#include "digest.h"
#include "hqkey.h"
#include "trust.h"

static int done(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

static int trust_usage(void)
{
    fputs("usage: univend trust add NAME HEX | list | revoke NAME\n"
          "  add NAME HEX   trust a head office key (64 hex, from 'univend hq pubkey')\n"
          "  list           trusted and revoked keys\n"
          "  revoke NAME    never accept that key again (supervisor; audited)\n",
          stderr);
    return UVS_USAGE;
}

int cli_trust(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return done(ctx, trust_list(ctx, stdout));
    if (argc == 3 && strcmp(argv[0], "add") == 0) {
        uv_status st = trust_add(ctx, argv[1], argv[2]);
        if (st == UVS_OK)
            printf("head office key %s trusted\n", argv[1]);
        return done(ctx, st);
    }
    if (argc == 2 && strcmp(argv[0], "revoke") == 0) {
        uv_status st = trust_revoke(ctx, argv[1]);
        if (st == UVS_OK)
            printf("head office key %s revoked\n", argv[1]);
        return done(ctx, st);
    }
    return trust_usage();
}

int cli_hq_key(struct uv_ctx *ctx, int argc, char **argv)
{
    uint8_t pub[32];
    char hex[65];
    uv_status st;
    if (argc == 1 && strcmp(argv[0], "keygen") == 0)
        st = hqkey_generate(ctx, pub);
    else if (argc == 1 && strcmp(argv[0], "pubkey") == 0)
        st = hqkey_public(ctx, pub);
    else
        return UVS_USAGE;
    if (st == UVS_OK) {
        digest_hex(pub, 32, hex);
        printf("%s\n", hex);
    }
    return done(ctx, st);
}
