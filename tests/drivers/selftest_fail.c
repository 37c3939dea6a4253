/* selftest_fail.c — a valid descriptor whose self test reports failure. */
#define TD_NAME "selftest-fail"
#define TD_CODES {"TST-X1", NULL}
#define TD_SELF_TEST_RC UV_E_SELFTEST
#include "good_a.c"
