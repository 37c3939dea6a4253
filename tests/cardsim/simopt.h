/* simopt.h — name=value options of `cardsim new` and `cardsim meter`. */
#ifndef CARDSIM_SIMOPT_H
#define CARDSIM_SIMOPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The value of name=value among argv, or NULL. */
const char *simopt_get(int argc, char **argv, const char *name);
/* Every argument is name=value with a name in known (NULL-terminated); else
   a message on err and -1. */
int simopt_check(int argc, char **argv, const char *const *known, FILE *err);
/* Hex option of exactly want bytes (want 0: 1..cap bytes); the byte count,
   0 when absent, -1 (with a message) when malformed. */
long simopt_hex(int argc, char **argv, const char *name, uint8_t *out, size_t want, size_t cap,
                FILE *err);
/* Unsigned decimal option at most max; 0 absent (v untouched), 1 set, -1 bad. */
int simopt_u64(int argc, char **argv, const char *name, uint64_t max, uint64_t *v, FILE *err);

#endif
