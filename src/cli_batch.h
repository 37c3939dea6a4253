/* cli_batch.h — `univend sell --batch FILE|-`: many sales in one process. */
#ifndef UV_CLI_BATCH_H
#define UV_CLI_BATCH_H

#include <stdio.h>

#include "univend.h"

/*
 * Sell every line of `in` ("METER AMOUNT"; blank lines and lines starting
 * with '#' are skipped), one durable sale each, and write one line to `out`
 * per sale as soon as it is committed, flushed at once:
 *
 *   ok LINE receipt N meter M total T token TOKEN [TOKEN...]
 *   error LINE meter M: MESSAGE
 *
 * A refused sale does not stop the batch; a storage failure (full disk,
 * damaged database) does: the remaining lines are not tried, and a last
 * line "stopped LINE: ..." says so. At the end a warning goes to stderr
 * when the vending credit is running low. Returns 0 when every sale was made,
 * else the status (exit code) of the first failure.
 */
int cli_sell_batch(struct uv_ctx *ctx, FILE *in, FILE *out);

#endif
