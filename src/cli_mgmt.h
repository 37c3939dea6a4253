/* cli_mgmt.h — `univend engineering ...`: engineering (management) tokens. */
#ifndef UV_CLI_MGMT_H
#define UV_CLI_MGMT_H

#include "univend.h"

/* argv[0] is the action (power-limit, clear-credit, clear-tamper,
   tariff-rate, key-change, rollover, list); returns the exit status. */
int cli_engineering(struct uv_ctx *ctx, int argc, char **argv);

#endif
