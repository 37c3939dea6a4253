/*
 * loader.h — finding, checking and loading driver shared objects.
 *
 * Three layers, each usable alone:
 *   loader_validate()  checks a descriptor in memory (magic, ABI, sizes,
 *                      strings, type codes, required slots) and copies its
 *                      metadata into a plain struct uv_driver_info;
 *   loader_load()      opens a file by descriptor, hashes it, checks it is an
 *                      ELF shared object for this machine, dlopen()s that very
 *                      file (no window to swap it), finds the one entry symbol
 *                      and validates what it returns;
 *   loader_probe()     runs loader_load() and the driver's self test in a
 *                      child process with a time limit, so a file that crashes
 *                      or hangs while loading cannot take univend down.
 * Files are only ever taken from the configured driver directory.
 */
#ifndef UV_LOADER_H
#define UV_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../drivers/univend_driver.h"
#include "status.h"

/* One ATR pattern of a card driver, as bytes. */
struct uv_atr_info {
    uint8_t atr[UV_ATR_MAX];
    uint8_t mask[UV_ATR_MAX];
    uint8_t len;
};

struct uv_driver_info {
    char name[32];
    char vendor[64];
    char version[32];
    char description[128];
    uint32_t abi_major, abi_minor;
    uint32_t media;
    char codes[UV_TYPE_CODES_MAX][UV_TYPE_CODE_MAX + 1];
    unsigned n_codes;
    int has_read_medium, has_mgmt, has_decode;
    struct uv_atr_info atr[UV_ATR_PATTERNS_MAX]; /* 1.2 card drivers */
    unsigned n_atr;
};

/* Does this ATR match the pattern? Specificity = mask bits set, for ordering. */
int loader_atr_match(const struct uv_atr_info *p, const uint8_t *atr, size_t len);
unsigned loader_atr_specificity(const struct uv_atr_info *p);
/* An ATR (or mask) as upper-case hex into out (2 * n + 1 bytes). */
void loader_atr_hex(const uint8_t *atr, size_t n, char *out);
/* Patterns as text, "ATR[/MASK] ..." in upper-case hex, the mask left out
   when every bit counts (what the type index stores); "" for none. */
void loader_atr_text(const struct uv_atr_info *p, unsigned n, char *out, size_t cap);
/* Read that text back: up to max patterns into out. -1 if malformed. */
int loader_atr_parse(const char *text, struct uv_atr_info *out, unsigned max, unsigned *n);

struct uv_loaded {
    char file[128];                /* name inside the driver directory   */
    uint8_t sha256[32];            /* of the bytes that were loaded      */
    void *dl;
    int fd;                        /* the file, open while loaded: its
                                      /proc/self/fd name is what dlopen
                                      knows it by, so it must stay unique */
    const struct uv_driver *desc;  /* valid only while dl is open        */
    void *dctx;                    /* the driver's context once opened   */
    struct uv_driver_info info;
};

struct uv_probe {
    uv_status status;
    char message[512];
    struct uv_driver_info info;
    uint8_t sha256[32];
    int self_test_rc;
};

/* Type codes: 1..15 of [A-Z0-9._-]. */
int loader_type_code_valid(const char *code);
const char *loader_media_text(uint32_t media, char *buf, size_t cap);

uv_status loader_validate(const struct uv_driver *d, struct uv_driver_info *info,
                          struct uv_error *err);
/* Turn a name or path given by the operator into a file inside driver_dir.
   Refuses anything outside it. */
uv_status loader_resolve(const char *driver_dir, const char *arg, char *path, size_t path_cap,
                         char *file, size_t file_cap, struct uv_error *err);
uv_status loader_load(const char *path, const char *file, struct uv_loaded *out,
                      struct uv_error *err);
/* The same, refusing (UVS_REFUSED) before the file is loaded, so before any
   of its code runs, unless its SHA-256 is sha256 (NULL: any). */
uv_status loader_load_expecting(const char *path, const char *file, const uint8_t *sha256,
                                struct uv_loaded *out, struct uv_error *err);
void loader_unload(struct uv_loaded *l);
uv_status loader_probe(const char *path, const char *file, const struct uv_host_services *svc,
                       void *host, int timeout_ms, struct uv_probe *out);
/* Conformance checks for driver makers, in a child process with a time
   limit: the self test, every text function, and bad-input calls that must
   fail cleanly without writing past what they are given. The child sees a
   key store with no keys. One line per check on out; *failures counts them
   (a crash or hang counts, naming the check it happened in). */
uv_status loader_conformance(const char *path, const char *file, int timeout_ms, FILE *out,
                             unsigned *failures);

#endif
