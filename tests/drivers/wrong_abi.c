/* wrong_abi.c — good_a with abi_major 2: a 1.x host must refuse it. */
#define TD_NAME "wrong-abi"
#define TD_CODES {"TST-X1", NULL}
#define TD_ABI_MAJOR 2u
/* a 2.x driver would of course answer a 1.x host too (or NULL); make the
   entry hand out the descriptor whatever the host says */
#define TD_ON_ENTRY (void)host_abi_major; return &td_driver;
#include "good_a.c"
