/* long_code.c — claims a 16-character type code (the limit is 15). */
#define TD_NAME "long-code"
#define TD_CODES {"TST-0123456789AB", NULL}
#include "good_a.c"
