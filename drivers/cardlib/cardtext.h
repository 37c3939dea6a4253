/* cardtext.h — the text fields card layouts carry, checked the same way everywhere. */
#ifndef UV_CARDTEXT_H
#define UV_CARDTEXT_H

#include <stddef.h>
#include <stdint.h>

/* A meter type code: 1..15 of A-Z 0-9 . _ - */
int ct_type_valid(const char *s);
/* A meter number: 1..max of A-Z a-z 0-9 . _ - */
int ct_meter_valid(const char *s, size_t max);
/* A NUL-padded field of cap bytes: copy into out (cap + 1) when it holds a
   NUL-terminated or full-width string followed only by NULs. 0 or -1. */
int ct_field_get(const uint8_t *field, size_t cap, char *out);
/* Write s NUL-padded into a field of cap bytes. 0, or -1 if it is longer. */
int ct_field_put(uint8_t *field, size_t cap, const char *s);
/* The unit of a uv_credit_kind's amounts, for messages: Wh, L, s. */
const char *ct_unit(uint32_t kind);
/* Bytes as upper-case hex into out (2 * n + 1). */
void ct_hex(const uint8_t *p, size_t n, char *out);
/* Hex text (even length, at most cap bytes) into bytes; the count, or -1. */
long ct_unhex(const char *s, uint8_t *out, size_t cap);

#endif
