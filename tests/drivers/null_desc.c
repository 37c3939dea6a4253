/* null_desc.c — the entry function exists but returns NULL (declines). */
#define TD_NAME "null-desc"
#define TD_CODES {"TST-X1", NULL}
#define TD_ON_ENTRY (void)host_abi_major; return NULL;
#include "good_a.c"
