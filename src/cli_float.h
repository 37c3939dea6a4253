/* cli_float.h — `univend clock ...` and `univend credit`: the kiosk's guarded
   clock and its vending credit, as a supervisor sees and corrects them. */
#ifndef UV_CLI_FLOAT_H
#define UV_CLI_FLOAT_H

#include "univend.h"

/* clock show | set TIME | confirm; returns the exit status. */
int cli_clock(struct uv_ctx *ctx, int argc, char **argv);

/* credit: the vending credit (supervisor). */
int cli_credit(struct uv_ctx *ctx, int argc, char **argv);
/* After a sale: the credit warning line on stderr, when there is one. */
void cli_credit_warning(struct uv_ctx *ctx);

#endif
