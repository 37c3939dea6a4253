/* bad_magic.c — good_a whose descriptor carries the wrong magic number. */
#define TD_NAME "bad-magic"
#define TD_CODES {"TST-X1", NULL}
#define TD_MAGIC 0x52445655u /* "UVDR" byte-swapped */
#include "good_a.c"
