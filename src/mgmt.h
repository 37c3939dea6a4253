/*
 * mgmt.h — engineering (management) tokens: power limit, clear credit,
 * clear tamper, tariff rate, key change.
 *
 *   supervisor only -> reason required -> meter looked up and verified
 *   (vend_lookup) -> its driver must offer issue_mgmt -> ONE transaction:
 *        number from "mgmt.seq", the driver issues the tokens, each token
 *        decoded again, the record (UV_DB_MGMT), the meter's state and, for
 *        a key change, its new parameters, audit -> synchronous commit.
 *
 * A failure anywhere leaves no record, no gap in the numbers and no change
 * to the meter; refusals are audited ("denied" for a clerk, "mgmt.refused").
 */
#ifndef UV_MGMT_H
#define UV_MGMT_H

#include <stdio.h>

#include "univend.h"

/* Issue a management operation (uv_mgmt_op) for a meter. params_text is
   "name=value\n" lines handed to the driver (may be NULL); for
   UV_MGMT_KEY_CHANGE each new_NAME replaces the meter parameter NAME when
   the tokens are committed. reason: 1..127 printable characters. */
uv_status vend_mgmt(struct uv_ctx *ctx, const char *meter_number, uint32_t op, uint64_t arg,
                    const char *params_text, const char *reason, struct rec_mgmt *out);
/* The guided TID roll-over (base date 1993 -> 2014): fills params
   ("new_bdt=2014\nnew_krn=K\n", K the meter's key revision + 1, as text
   in new_krn, at least 2 bytes) for a UV_MGMT_KEY_CHANGE. UVS_INPUT when
   the meter is not on base date 1993 or has no next key revision. */
uv_status mgmt_rollover_params(struct uv_ctx *ctx, const char *meter, char *params, size_t cap,
                               char *new_krn, size_t krn_cap);
/* Oldest first; meter NULL for all. */
uv_status mgmt_list(struct uv_ctx *ctx, const char *meter, FILE *out);
/* Read one record by number. */
uv_status mgmt_get(struct uv_ctx *ctx, uint64_t number, struct rec_mgmt *m);
/* "power-limit", "clear-credit", "clear-tamper", "tariff-rate",
   "key-change", ...; "other" for an op it does not know. Static text. */
const char *mgmt_op_name(uint32_t op);
/* The op for a name mgmt_op_name gives; 0 if none. */
uint32_t mgmt_op_parse(const char *name);

#endif
