/*
 * drvsign.h — signed drivers: head office signs, the kiosk checks.
 *
 * Head office signs a driver file with its key (hqkey.h) into a detached
 * signature (drvsig.h), FILE.so.sig next to the file. A kiosk takes a
 * driver only with a signature that names the file's SHA-256, is made by a
 * head office key in its trust list (trust.h) that is not revoked, and
 * verifies. `driver register`, every load of a registered driver and the
 * driver packages of instruction files all check through
 * driver_signature_check().
 */
#ifndef UV_DRVSIGN_H
#define UV_DRVSIGN_H

#include "drvsig.h"
#include "univend.h"

struct driver_sign_opts {
    /* What head office approves. All three NULL: the driver is probed (in a
       child process, as `driver check` does) and its own name and version
       and codes are approved; codes alone narrows its codes. All three
       given: the file is not run (a driver for another processor). */
    const char *name, *version, *codes;
    const char *out;            /* signature path; NULL: FILE.sig        */
};

/* Head office: sign the driver file at path (any directory). Audited. */
uv_status driver_sign(struct uv_ctx *ctx, const char *path, const struct driver_sign_opts *o,
                      FILE *out);

/* Kiosk: is sig_text a valid head office signature for a driver whose
   SHA-256 is sha256? Parses it, compares the SHA-256, looks its signer up
   in the trust list (inside txn, or none) and verifies it. UVS_REFUSED
   (UVS_STORE on a database fault) with a message naming `file` and why:
   not a signature, signed for other bytes, unknown or revoked key, forged.
   Audits nothing: the caller refuses and audits. */
uv_status driver_signature_check(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t sha256[32],
                                 const char *sig_text, size_t sig_len, const char *file,
                                 struct drvsig *out);
/* The same for the driver's bytes in memory (an instruction file's driver
   package): their SHA-256 and size must be the signed ones. */
uv_status driver_signature_verify(struct uv_ctx *ctx, const void *so_bytes, size_t so_len,
                                  const char *sig_text, size_t sig_len, const char *file,
                                  struct drvsig *out);

/* Read a signature file (at most DRVSIG_MAX bytes) into buf (cap >
   DRVSIG_MAX); UVS_NOTFOUND when there is none. */
uv_status driver_signature_read(struct uv_ctx *ctx, const char *path, char *buf, size_t cap,
                                size_t *len);

#endif
