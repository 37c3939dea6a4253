/*
 * drvsig.h — the detached signature of a driver file (docs/drivers.md,
 * "Signed drivers").
 *
 * Head office approves a driver by signing, with its Ed25519 key, a small
 * text that names the driver's SHA-256, its name, version and the meter
 * type codes it may serve. The text is its own file (FILE.so.sig) or a blob
 * inside an instruction file; this module only builds and parses it and
 * checks the Ed25519 signature under the key the text names. Whether that
 * key is trusted is the kiosk's business (drvsign.h). No I/O, no context:
 * the parser sees outside input and is fuzzed (tests/fuzz/fuzz_drvsig.c).
 */
#ifndef UV_DRVSIG_H
#define UV_DRVSIG_H

#include <stddef.h>
#include <stdint.h>

#include "../drivers/univend_driver.h"
#include "status.h"

#define DRVSIG_MAX 2048         /* a signature text is never longer      */
#define DRVSIG_MAGIC "univend-driver-signature 1"
/* What Ed25519 signs: this prefix, one NUL byte, then the text up to and
   including the line feed before "signature: ". The prefix keeps a driver
   signature from ever being taken for any other message head office signs
   with the same key (instruction files, anything later). */
#define DRVSIG_DOMAIN "univend driver signature v1"

struct drvsig {
    char driver[32];            /* driver name from its descriptor       */
    char version[32];
    char codes[UV_TYPE_CODES_MAX][UV_TYPE_CODE_MAX + 1];
    unsigned n_codes;           /* the type codes head office approved   */
    uint8_t sha256[32];         /* of the .so file                       */
    uint64_t size;              /* of the .so file, bytes                */
    int64_t signed_at;          /* head office's clock, Unix seconds     */
    uint8_t signer[32];         /* Ed25519 public key of head office     */
    uint8_t sig[64];
    size_t body_len;            /* parse: bytes of the text that are signed */
};

/* Name and version: 1-31 printable ASCII characters, no spaces at either
   end. Codes: as loader_type_code_valid(). */
int drvsig_text_valid(const char *s);
/* "A,B,C" -> d->codes; 0 ok, -1 empty, invalid, repeated or too many. */
int drvsig_set_codes(struct drvsig *d, const char *list);
int drvsig_has_code(const struct drvsig *d, const char *code);
/* d->codes as "A,B,C" (cap >= UV_TYPE_CODES_MAX * 16). */
void drvsig_codes_text(const struct drvsig *d, char *out, size_t cap);

/* The part of the text that is signed, from d (everything but sig).
   Returns its length, 0 when d holds something invalid (err says what). */
size_t drvsig_body(const struct drvsig *d, char *out, size_t cap, struct uv_error *err);
/* The message Ed25519 signs for a body (DRVSIG_DOMAIN NUL body); *len set.
   msg must hold sizeof DRVSIG_DOMAIN + body_len bytes. */
void drvsig_message(const char *body, size_t body_len, uint8_t *msg, size_t *len);
/* The whole text: body then "signature: HEX\n". Returns its length or 0. */
size_t drvsig_format(const struct drvsig *d, char *out, size_t cap, struct uv_error *err);

/* Parse a signature text strictly: the lines of docs/drivers.md in their
   order, nothing else; UVS_INPUT naming the line when anything is off.
   Checks no signature and no trust. */
uv_status drvsig_parse(const char *text, size_t len, struct drvsig *out, struct uv_error *err);
/* Parse, then check the Ed25519 signature under the key the text names.
   UVS_REFUSED: it does not verify (altered or forged). */
uv_status drvsig_parse_verified(const char *text, size_t len, struct drvsig *out,
                                struct uv_error *err);

#endif
