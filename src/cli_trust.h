/* cli_trust.h — `univend trust ...` and `univend hq keygen|pubkey`. */
#ifndef UV_CLI_TRUST_H
#define UV_CLI_TRUST_H

#include "univend.h"

/* argv[0]: add NAME HEX | list | revoke NAME. Returns the exit status. */
int cli_trust(struct uv_ctx *ctx, int argc, char **argv);
/* argv[0]: keygen | pubkey. Returns the exit status. */
int cli_hq_key(struct uv_ctx *ctx, int argc, char **argv);

#endif
