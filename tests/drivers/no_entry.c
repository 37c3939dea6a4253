/*
 * no_entry.c — a shared object that exports a different symbol
 * (univend_driver_entry_v2) and not univend_driver_entry: not a driver.
 */
#define TD_NAME "no-entry"
#define TD_CODES {"TST-X1", NULL}
#define TD_ENTRY_FN univend_driver_entry_v2
#include "good_a.c"
