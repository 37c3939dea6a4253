/*
 * tariffver.h — tariff versions with the date they take effect.
 *
 * Head office changes tariffs by instruction, each change in force from a
 * date. Every version is kept under (tariff id, from); the version in force
 * at a time is the one with the latest `from` not after it. A tariff no
 * instruction ever changed has no versions: its own record is in force.
 */
#ifndef UV_TARIFFVER_H
#define UV_TARIFFVER_H

#include "univend.h"

uv_status tariff_version_put(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_tariff *t,
                             int64_t from);
/* The version of tariff id in force at `when` (*from its start, may be
   NULL): UVS_OK, or UVS_NOTFOUND when none is (yet). */
uv_status tariff_version_at(struct uv_ctx *ctx, DB_TXN *txn, const char *id, int64_t when,
                            struct rec_tariff *t, int64_t *from);
/* Every dated version, one line each ("from" and the price), under a
   heading; nothing when there is none. For people. */
uv_status tariff_versions_print(struct uv_ctx *ctx, FILE *out);
/* Does tariff id have any version, in force or still to come? */
uv_status tariff_version_any(struct uv_ctx *ctx, DB_TXN *txn, const char *id, int *found);

#endif
