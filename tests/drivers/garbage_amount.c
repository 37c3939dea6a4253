/*
 * garbage_amount.c — registrable ("garbage-amount", code TST-G2), but
 * issue_credit() claims amount_issued = requested + 1 (more than was asked
 * for, which the ABI forbids). The host's vend code must refuse the result.
 */
#define TD_NAME "garbage-amount"
#define TD_CODES {"TST-G2", NULL}
#define TD_AFTER_ISSUE out->amount_issued = req->amount + 1;
#include "good_a.c"
