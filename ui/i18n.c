/* i18n.c — the message table and its two languages. */
#include "i18n.h"

#include <stdio.h>
#include <string.h>

static const char *const en_text[M_COUNT] = {
#define M(id, en, zh) [id] = en,
#include "msgs.h"
#undef M
};

static const char *const zh_text[M_COUNT] = {
#define M(id, en, zh) [id] = zh,
#include "msgs.h"
#undef M
};

/* Chosen once at start-up, before any screen is drawn; read-only after. */
static const char *const *lang_table = en_text;

void i18n_set(const char *lang, int utf8)
{
    lang_table = (lang && strcmp(lang, "zh") == 0 && utf8) ? zh_text : en_text;
}

const char *i18n_lang(void)
{
    return lang_table == zh_text ? "zh" : "en";
}

const char *tr(enum msg id)
{
    if ((unsigned)id >= M_COUNT)
        return "?";
    const char *s = lang_table[id];
    return s && *s ? s : en_text[id];
}

void trf(char *buf, size_t cap, enum msg id, const char *a1, const char *a2, const char *a3)
{
    const char *args[3] = {a1, a2, a3};
    const char *s = tr(id);
    size_t o = 0;
    if (cap == 0)
        return;
    while (*s && o + 1 < cap) {
        if (s[0] == '{' && s[1] >= '1' && s[1] <= '3' && s[2] == '}') {
            const char *a = args[s[1] - '1'];
            for (; a && *a && o + 1 < cap; a++)
                buf[o++] = *a;
            s += 3;
        } else {
            buf[o++] = *s++;
        }
    }
    buf[o] = '\0';
}
