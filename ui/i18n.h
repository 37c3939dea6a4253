/*
 * i18n.h — every string the kiosk shows, in English and Simplified Chinese.
 *
 * The table is ui/msgs.h: one M(ID, "English", "中文") line per message.
 * `language = en | zh` in univend.conf picks the column. Messages that take
 * values use {1} {2} {3} placeholders (no printf formats: a translation may
 * put the values in another order). Messages from the core (refusals in
 * ctx->err.message, receipt and report text) are shown as the core wrote them.
 */
#ifndef UV_I18N_H
#define UV_I18N_H

#include <stddef.h>

enum msg {
#define M(id, en, zh) id,
#include "msgs.h"
#undef M
    M_COUNT
};

/* Pick the language ("en" or "zh"); zh needs a UTF-8 locale, else English. */
void i18n_set(const char *lang, int utf8);
const char *i18n_lang(void);
const char *tr(enum msg id);
/* tr(id) with {1} {2} {3} replaced by a1..a3 (NULL: empty). */
void trf(char *buf, size_t cap, enum msg id, const char *a1, const char *a2, const char *a3);

#endif
