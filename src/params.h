/*
 * params.h — meter parameters, stored as "name=value" lines in the meter
 * record and handed to drivers as struct uv_param arrays.
 */
#ifndef UV_PARAMS_H
#define UV_PARAMS_H

#include <stddef.h>

#include "../drivers/univend_driver.h"
#include "status.h"

#define UV_PARAMS_MAX 16

struct uv_param_set {
    char buf[512];                      /* the names and values, NUL-split */
    struct uv_param p[UV_PARAMS_MAX];
    size_t n;
};

/* Parse stored "name=value\n..." text. Returns -1 if malformed. */
int params_parse(const char *text, struct uv_param_set *out);
/* Add "name=value" given on a command line to stored text (cap bytes).
   Names: 1-23 of [a-z0-9_]; values: 1-63 printable, no '=' or newline. */
uv_status params_add(char *text, size_t cap, const char *assignment, struct uv_error *err);
const char *params_get(const struct uv_param *p, size_t n, const char *name);

#endif
