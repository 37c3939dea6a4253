/* missing_fn.c — a descriptor without issue_credit (a required slot). */
#define TD_NAME "missing-fn"
#define TD_CODES {"TST-X1", NULL}
#define TD_ISSUE_CREDIT NULL
#include "good_a.c"
