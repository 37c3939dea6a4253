/*
 * masterdata.h — customers, tariffs and meters: add, look up, list.
 *
 * Adding a meter runs its driver's security verification first (meter
 * number check digit, parameters, keys present), so a meter that could not be
 * sold to is never stored.
 */
#ifndef UV_MASTERDATA_H
#define UV_MASTERDATA_H

#include "params.h"
#include "univend.h"

/* Ids of customers, tariffs, meters: 1..31 of [A-Za-z0-9._-]. */
int md_id_valid(const char *id);

uv_status customer_add(struct uv_ctx *ctx, const struct rec_customer *c);
uv_status customer_get(struct uv_ctx *ctx, DB_TXN *txn, const char *id, struct rec_customer *c);
uv_status customer_list(struct uv_ctx *ctx, FILE *out);

/* price and vat as text: "0.1500" per kWh, "15" percent */
uv_status tariff_add(struct uv_ctx *ctx, const char *id, const char *name, const char *price,
                     const char *vat);
/* A tariff with blocks, levies, fixed charge and lifeline units, checked by
   the tariff engine's own rules (tariff_check). */
uv_status tariff_add_full(struct uv_ctx *ctx, const struct rec_tariff *t);
uv_status tariff_get(struct uv_ctx *ctx, DB_TXN *txn, const char *id, struct rec_tariff *t);
/* Set what a customer owes and how it is recovered (share in basis points of
   each purchase, or a fixed amount per purchase). Audited. */
uv_status customer_set_debt(struct uv_ctx *ctx, const char *id, int64_t debt, uint32_t recover_bp,
                            int64_t recover_fixed);
uv_status tariff_list(struct uv_ctx *ctx, FILE *out);

/* m->params holds "name=value\n" lines already checked by params_add. */
uv_status meter_add(struct uv_ctx *ctx, struct rec_meter *m, FILE *out);
uv_status meter_get(struct uv_ctx *ctx, DB_TXN *txn, const char *number, struct rec_meter *m,
                    int rmw);
uv_status meter_list(struct uv_ctx *ctx, FILE *out);
uv_status meter_show(struct uv_ctx *ctx, const char *number, FILE *out);

/* As the clerk types a meter number. */
enum meter_hint {
    MH_EMPTY,       /* nothing typed                                   */
    MH_TYPING,      /* digits so far; not yet a full meter number       */
    MH_BAD_CHECK,   /* 11 or 13 digits whose check digit (Luhn) is wrong */
    MH_UNKNOWN,     /* well formed, but no such meter here              */
    MH_FOUND,       /* *m filled                                       */
    MH_ERROR        /* the meters could not be read (ctx->err says why) */
};
enum meter_hint meter_hint(struct uv_ctx *ctx, const char *text, struct rec_meter *m);
/* Luhn check of an all-digit number (the IEC 62055 meter number check). */
int md_luhn_ok(const char *digits);

/* Replace a customer's name/address/phone (id stays). Audited. */
uv_status customer_update(struct uv_ctx *ctx, const struct rec_customer *c);
/* Move a meter to another customer and/or tariff. Audited. */
uv_status meter_update(struct uv_ctx *ctx, const char *number, const char *customer,
                       const char *tariff);
uv_status customer_all(struct uv_ctx *ctx, struct rec_customer *out, size_t cap, size_t *n);
uv_status tariff_all(struct uv_ctx *ctx, struct rec_tariff *out, size_t cap, size_t *n);
uv_status meter_all(struct uv_ctx *ctx, struct rec_meter *out, size_t cap, size_t *n);

/* The driver's view of a meter record (params parsed into ps). */
uv_status meter_view(struct uv_ctx *ctx, const struct rec_meter *m, struct uv_param_set *ps,
                     struct uv_meter *view);
/* "driver-name: message (detail)" for a driver return code. */
uv_status driver_fail(struct uv_ctx *ctx, struct uv_loaded *d, int rc, uv_status st,
                      const char *doing);

#endif
