/* cli_card.h — `univend card ...` and `univend sell --card`. */
#ifndef UV_CLI_CARD_H
#define UV_CLI_CARD_H

#include "univend.h"

/* argv[0] is the action (readers, read, pending); returns the exit status. */
int cli_card(struct uv_ctx *ctx, int argc, char **argv);
/* Wait for the card (wait_text seconds, NULL: card_wait_seconds), settle it,
   sell amount_text to it. *sold: a receipt is in *r (the new sale, or an
   earlier unconfirmed one recorded now) and the caller prints it. Returns
   the exit status. */
int cli_sell_card(struct uv_ctx *ctx, const char *amount_text, const char *wait_text,
                  struct rec_receipt *r, int *sold);

#endif
