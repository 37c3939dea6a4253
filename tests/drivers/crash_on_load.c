/*
 * crash_on_load.c — a driver whose ELF constructor writes through a NULL
 * pointer, i.e. it crashes inside dlopen(), before the host ever sees the
 * entry symbol. Only loader_probe() (a child process) may load it.
 *
 * The constructor first puts SIGSEGV back to its default action so that the
 * sanitizer runtime of the test build does not turn the crash into its own
 * report and exit(1): the child then dies of the signal, as it would in a
 * production kiosk. (The probe must call it a crash either way.) For the same
 * reason the constructor is not instrumented by ASan/UBSan.
 */
#include <signal.h>

#define TD_NAME "crash-on-load"
#define TD_CODES {"TST-X1", NULL}
#include "good_a.c"

__attribute__((constructor, no_sanitize_address, no_sanitize_undefined)) static void
td_crash_now(void)
{
    volatile int *volatile p = NULL; /* volatile twice: the store must happen */
    signal(SIGSEGV, SIG_DFL);
    *p = 42;
    raise(SIGSEGV); /* not reached */
}
