/*
 * dup_a.c — a valid driver, "dup-a", claiming TST-D1 and TST-A1. TST-A1 is
 * already claimed by good_a.so, so registering both must be refused as a
 * duplicate (and TST-D1 must not be registered half-way either).
 */
#define TD_NAME "dup-a"
#define TD_DESCRIPTION "test driver that claims good-a's TST-A1 too"
#define TD_CODES {"TST-D1", "TST-A1", NULL}
#include "good_a.c"
