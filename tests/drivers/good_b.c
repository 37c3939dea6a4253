/*
 * good_b.c — a second valid token driver, "good-b", claiming TST-B1.
 * Same behaviour as good_a.c (amount in plain token digits); it exists so a
 * kiosk can hold two different drivers at once.
 */
#define TD_NAME "good-b"
#define TD_VERSION "2.1.0"
#define TD_DESCRIPTION "second test driver"
#define TD_CODES {"TST-B1", NULL}
#include "good_a.c"
