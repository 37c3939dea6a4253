/* crash_in_entry.c — loads fine, then the entry function calls abort(). */
#include <stdlib.h>
#define TD_NAME "crash-in-entry"
#define TD_CODES {"TST-X1", NULL}
#define TD_ON_ENTRY (void)host_abi_major; abort();
#include "good_a.c"
