/*
 * hang_on_load.c — the entry function never returns (sleeps forever). Only
 * loader_probe() may load it: its time limit kills the child.
 */
#include <unistd.h>
#define TD_NAME "hang-on-load"
#define TD_CODES {"TST-X1", NULL}
#define TD_ON_ENTRY                                                                        \
    (void)host_abi_major;                                                                  \
    for (;;)                                                                               \
        sleep(1);
#include "good_a.c"
