/*
 * textrec.h — the pieces shared by univend's signed text files (export
 * files, instruction files): a line cursor that refuses a cut-off last
 * line, strict numbers (one spelling per value), lower-case hex, RFC 4180
 * CSV lines, and the message an Ed25519 signature covers.
 */
#ifndef UV_TEXTREC_H
#define UV_TEXTREC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

struct tr_cursor {
    const char *p, *end;
    unsigned line;
    struct uv_error *err;
};

/* Next line without its LF: 1 got one, 0 at the end, -1 the last line has
   no LF (cut off). */
int tr_next_line(struct tr_cursor *c, const char **s, size_t *n);
/* UVS_INPUT "line N: what". */
uv_status tr_bad(struct tr_cursor *c, const char *what);

/* Decimal without sign, leading zeros or more than 19 digits; 0 or -1. */
int tr_parse_u64(const char *s, size_t n, uint64_t *out);
/* The same with an optional '-' (no "-0"). */
int tr_parse_i64(const char *s, size_t n, int64_t *out);
/* Exactly 2*len lower-case hex digits. */
int tr_parse_hex(const char *s, size_t n, uint8_t *out, size_t len);
/* No control characters (< 0x20, 0x7f). */
int tr_printable(const char *s, size_t n);

/* Split one CSV line s[0..n) into at most max fields. scratch holds n+1
   bytes; fields[i] point into it, NUL-terminated. A field longer than
   field_max - 1 bytes, a NUL byte, a stray or unterminated quote, or more
   than max fields make the line malformed (-1). */
int tr_csv_split(const char *s, size_t n, char *scratch, char **fields, size_t max,
                 size_t field_max, size_t *nf);
/* Text as one CSV field: quoted, with quotes doubled, when it holds a comma
   or a quote; control bytes (which no reader takes) written as '?'. */
void tr_csv_text(FILE *out, const char *s);

/* The message a file signature covers: context (with its NUL) followed by
   SHA-256(body). ctx_len counts the NUL; msg holds ctx_len + 32 bytes. */
void tr_signed_message(const char *context, size_t ctx_len, const void *body, size_t len,
                       uint8_t *msg);

#endif
