/* cli_instruct.h — `univend hq instruct`, `univend instruction ...`,
   `univend blacklist ...`. */
#ifndef UV_CLI_INSTRUCT_H
#define UV_CLI_INSTRUCT_H

#include "univend.h"

/* argv: the options after "hq instruct". Returns the exit status. */
int cli_hq_instruct(struct uv_ctx *ctx, int argc, char **argv);
/* argv[0]: apply FILE|DIR... | list | state. */
int cli_instruction(struct uv_ctx *ctx, int argc, char **argv);
/* argv[0]: list | check SERIAL. */
int cli_blacklist(struct uv_ctx *ctx, int argc, char **argv);

#endif
