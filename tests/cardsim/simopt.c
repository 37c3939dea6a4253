/* simopt.c — name=value options of the card simulator's commands. */
#include "simopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardlib/cardtext.h"

const char *simopt_get(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
            return argv[i] + n + 1;
    return NULL;
}

int simopt_check(int argc, char **argv, const char *const *known, FILE *err)
{
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        int ok = 0;
        for (size_t k = 0; eq && known[k]; k++)
            if (strlen(known[k]) == (size_t)(eq - argv[i]) &&
                strncmp(argv[i], known[k], (size_t)(eq - argv[i])) == 0)
                ok = 1;
        if (!ok) {
            fprintf(err, "unknown option '%s' (options are name=value)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

long simopt_hex(int argc, char **argv, const char *name, uint8_t *out, size_t want, size_t cap,
                FILE *err)
{
    const char *v = simopt_get(argc, argv, name);
    if (v == NULL)
        return 0;
    long n = ct_unhex(v, out, cap);
    if (n <= 0 || (want && (size_t)n != want)) {
        if (want)
            fprintf(err, "%s must be %zu bytes of hex\n", name, want);
        else
            fprintf(err, "%s must be 1 to %zu bytes of hex\n", name, cap);
        return -1;
    }
    return n;
}

int simopt_u64(int argc, char **argv, const char *name, uint64_t max, uint64_t *v, FILE *err)
{
    const char *s = simopt_get(argc, argv, name);
    char *end;
    if (s == NULL)
        return 0;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || x > max) {
        fprintf(err, "%s must be a whole number up to %llu\n", name, (unsigned long long)max);
        return -1;
    }
    *v = x;
    return 1;
}
