/* no_codes.c — a driver whose type code list is empty (just the NULL). */
#define TD_NAME "no-codes"
#define TD_CODES {NULL}
#include "good_a.c"
