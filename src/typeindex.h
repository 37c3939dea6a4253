/*
 * typeindex.h — meter type code -> driver: registering drivers and matching
 * a meter's type code to a loaded, verified driver at sale time.
 */
#ifndef UV_TYPEINDEX_H
#define UV_TYPEINDEX_H

#include "univend.h"

#define UV_PROBE_TIMEOUT_MS 5000 /* a driver's time to load or be checked */

/* The time limit for a driver's probe or checks: UV_PROBE_TIMEOUT_MS, or
   $UNIVEND_DRIVER_TIME_LIMIT_MS (100 to 600000) for a driver run under a
   debugger or valgrind. */
int typeindex_time_limit_ms(void);

/* Register a driver file (name or path inside the driver directory) with
   head office's signature FILE.sig beside it: check the signature (signed
   for these bytes, by a trusted key, not forged) before anything of the
   driver runs, probe it in a child process, check it is the driver head
   office approved (name, version), then map each type code the signature
   approves (or only `codes`, a comma-separated subset) to it, keeping the
   signature with the entry. Refuses a code served by another driver. Every
   refusal is audited (driver.refused). */
uv_status typeindex_register(struct uv_ctx *ctx, const char *file_arg, const char *codes,
                             FILE *out);
/* The same with the signature text given (sig_text NULL: FILE.sig), e.g.
   from `driver register --signature F` or a driver package. */
uv_status typeindex_register_signed(struct uv_ctx *ctx, const char *file_arg, const char *codes,
                                    const char *sig_text, size_t sig_len, FILE *out);
/* The same inside the caller's transaction (an instruction file installing
   a driver package, whose .so the caller has written into the driver
   directory): checks no role; the registration's audit records go in txn;
   a refusal returns its status and message without an audit record of its
   own (the caller refuses and audits); the caller commits or aborts. */
uv_status typeindex_register_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *file_arg,
                                 const char *codes, const char *sig_text, size_t sig_len,
                                 FILE *out);
uv_status typeindex_remove(struct uv_ctx *ctx, const char *code, FILE *out);
uv_status typeindex_list(struct uv_ctx *ctx, FILE *out);
/* Check each registered file (or only `code`): signed by a key still
   trusted, present, same SHA-256, loads, passes its self test. Prints one
   line each; UVS_REFUSED if any fails. */
uv_status typeindex_verify(struct uv_ctx *ctx, const char *code, FILE *out);
/* Check the signature of every *.so in the driver directory and probe the
   signed ones; report which would be refused and why, including type codes
   claimed by two files. */
uv_status typeindex_scan(struct uv_ctx *ctx, FILE *out);
/* Probe one file and print its descriptor (for driver makers). */
uv_status typeindex_check_file(struct uv_ctx *ctx, const char *file_arg, FILE *out);

/* Start-up view: every registered type code with whether its driver loads. */
struct uv_driver_status {
    char code[UV_TYPE_CODE_MAX + 1];
    char file[128];
    char driver[32];
    char version[32];
    int ok;                 /* hash matches, probe passed */
    char reason[512];       /* why not, when !ok          */
};
uv_status typeindex_status(struct uv_ctx *ctx, struct uv_driver_status *out, size_t cap,
                           size_t *n);

/* Sale-time match: look the code up, check the entry's signature (a
   trusted, unrevoked key; this type code) and the file hash, load and open
   the driver (cached for the life of ctx; a cached driver's signer is
   checked again each time, so a revoked key stops it at once). Refusals
   are audited. */
uv_status typeindex_match(struct uv_ctx *ctx, const char *code, struct uv_loaded **drv,
                          struct rec_typeidx *entry);
/* The same inside txn (the type index read under it; a refusal is left to
   the transaction's owner to audit). */
uv_status typeindex_match_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *code,
                              struct uv_loaded **drv, struct rec_typeidx *entry);

/* The card drivers whose ATR patterns (stored at registration) match a
   card's ATR: one entry per driver file, the most specific match first
   (mask bits that count), ties by file name. */
struct uv_card_candidate {
    struct rec_typeidx entry; /* one of the driver's type index entries */
    unsigned specificity;
};
uv_status typeindex_atr_candidates(struct uv_ctx *ctx, const uint8_t *atr, size_t len,
                                   struct uv_card_candidate *out, size_t cap, size_t *n);

#endif
