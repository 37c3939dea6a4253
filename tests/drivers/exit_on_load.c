/*
 * exit_on_load.c — a constructor that calls _exit(0): the probe's child ends
 * "successfully" without ever answering. That is no answer, so: refused.
 */
#include <unistd.h>
#define TD_NAME "exit-on-load"
#define TD_CODES {"TST-X1", NULL}
#include "good_a.c"

__attribute__((constructor)) static void td_exit_now(void)
{
    _exit(0);
}
