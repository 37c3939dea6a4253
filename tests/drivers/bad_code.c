/*
 * bad_code.c — claims one good code and one that breaks the type code rules
 * (lower case and a space); the whole driver must be refused.
 */
#define TD_NAME "bad-code"
#define TD_CODES {"TST-X1", "tst x2", NULL}
#include "good_a.c"
