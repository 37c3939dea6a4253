/* params.c — meter parameter text <-> name/value arrays. */
#include "params.h"

#include <string.h>

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 23)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int value_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '=')
            return 0;
    return 1;
}

int params_parse(const char *text, struct uv_param_set *out)
{
    size_t len = strlen(text);
    out->n = 0;
    if (len >= sizeof out->buf)
        return -1;
    memcpy(out->buf, text, len + 1);
    char *s = out->buf;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (nl == NULL)
            return -1;
        *nl = '\0';
        char *eq = strchr(s, '=');
        if (eq == NULL || !name_ok(s, (size_t)(eq - s)) || !value_ok(eq + 1, strlen(eq + 1)))
            return -1;
        if (out->n >= UV_PARAMS_MAX)
            return -1;
        *eq = '\0';
        out->p[out->n].name = s;
        out->p[out->n].value = eq + 1;
        out->n++;
        s = nl + 1;
    }
    return 0;
}

uv_status params_add(char *text, size_t cap, const char *a, struct uv_error *err)
{
    const char *eq = strchr(a, '=');
    if (eq == NULL || !name_ok(a, (size_t)(eq - a)) || !value_ok(eq + 1, strlen(eq + 1)))
        return uv_fail(err, UVS_INPUT,
                       "parameter '%s' must be name=value (name: a-z 0-9 _, value: printable)", a);
    struct uv_param_set set;
    if (params_parse(text, &set) != 0)
        return uv_fail(err, UVS_INPUT, "stored parameters are damaged");
    for (size_t i = 0; i < set.n; i++)
        if (strlen(set.p[i].name) == (size_t)(eq - a) && strncmp(set.p[i].name, a, (size_t)(eq - a)) == 0)
            return uv_fail(err, UVS_INPUT, "parameter '%.*s' given twice", (int)(eq - a), a);
    if (set.n >= UV_PARAMS_MAX)
        return uv_fail(err, UVS_INPUT, "too many parameters (at most %d)", UV_PARAMS_MAX);
    size_t len = strlen(text), add = strlen(a);
    if (len + add + 2 > cap)
        return uv_fail(err, UVS_INPUT, "parameters are too long");
    memcpy(text + len, a, add);
    text[len + add] = '\n';
    text[len + add + 1] = '\0';
    return UVS_OK;
}

const char *params_get(const struct uv_param *p, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].name && strcmp(p[i].name, name) == 0)
            return p[i].value;
    return NULL;
}
