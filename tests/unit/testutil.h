/* testutil.h — shared fixtures for the unit tests: real kiosks in temp dirs. */
#ifndef UV_TESTUTIL_H
#define UV_TESTUTIL_H

#include <check.h>

#include "univend.h"

#define TU_PASSPHRASE "test-passphrase"
#define TU_VK_REF "sts:123456:1"

/* A fresh kiosk (real BDB environment, key store with a low KDF count) in a
   new temp directory; driver_dir is the build's driver directory. */
struct uv_ctx *tu_kiosk_new(void);
/* Same, plus an STS vending key, the sts driver registered, a tariff RES
   (1.500/kWh, 15 % VAT), customer C001 and meter 01234567897 (STS-EA07). */
struct uv_ctx *tu_kiosk_with_sts(void);
/* The test head office: a real head office store beside ctx's home
   (created on first use, with its signing key, removed with the kiosk),
   whose key ctx trusts as TEST-HQ from the first signature on. */
/* Head office signs the driver file at path (probed, all its codes):
   FILE.sig beside it, as `univend driver sign` writes it. */
void tu_sign_driver(struct uv_ctx *ctx, const char *path);
/* The same without running the file (for the deliberately broken
   drivers): head office states name, version and codes. */
void tu_sign_driver_as(struct uv_ctx *ctx, const char *path, const char *name,
                       const char *version, const char *codes);
/* Register `file` of ctx's driver directory (e.g. the build's sts.so) with
   the test head office's signature, kept beside the kiosk, never written
   into the driver directory. */
uv_status tu_register_signed(struct uv_ctx *ctx, const char *file, const char *codes);

/* Close the context and remove its directory. */
void tu_kiosk_free(struct uv_ctx *ctx);
/* Reopen a closed kiosk from its home (to test persistence/recovery). */
void tu_kiosk_reopen(struct uv_ctx *ctx);

/* Directories from the environment (set by the Makefile). */
const char *tu_driver_dir(void);      /* build/drivers */
const char *tu_test_driver_dir(void); /* build/test-drivers */

/* Make a temp dir; returns a malloc'ed path. rm -rf helper. */
char *tu_mkdtemp(void);
void tu_rmrf(const char *path);
/* Copy a file (e.g. a driver into a private driver dir). */
void tu_copy(const char *from, const char *to);

/* Audit records with this action: how many, and the last one's detail
   (into detail, cap bytes; may be NULL). */
unsigned tu_audit_count(struct uv_ctx *ctx, const char *action, char *detail, size_t cap);

/* The suites. */
Suite *sts_suite(void);
Suite *record_suite(void);
Suite *money_suite(void);
Suite *config_suite(void);
Suite *params_suite(void);
Suite *keystore_suite(void);
Suite *audit_suite(void);
Suite *loader_suite(void);
Suite *typeindex_suite(void);
Suite *vend_suite(void);
Suite *clerks_suite(void);
Suite *report_suite(void);
Suite *openpaygo_suite(void);
Suite *mgmt_suite(void);
Suite *tariff_suite(void);
Suite *hq_suite(void);
Suite *trust_suite(void);
Suite *instruct_suite(void);
Suite *drvsig_suite(void);
Suite *drvsign_suite(void);
Suite *clock_suite(void);
Suite *credit_suite(void);
Suite *credit_hq_suite(void);
Suite *memcard_suite(void);
Suite *cardchan_suite(void);
Suite *cpucard_suite(void);
Suite *cpusim_suite(void);
Suite *exportfile_suite(void);
Suite *logiccard_suite(void);
Suite *rfcard_suite(void);
Suite *drvproto_suite(void);

#endif
