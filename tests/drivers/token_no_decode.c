/*
 * token_no_decode.c — a token (VIRTUAL medium) driver without decode_token:
 * the host checks every token before showing it, so this must be refused.
 */
#define TD_NAME "token-no-decode"
#define TD_CODES {"TST-X1", NULL}
#define TD_DECODE_TOKEN NULL
#include "good_a.c"
