/* init.h — creating a kiosk: configuration, database, key store. */
#ifndef UV_INIT_H
#define UV_INIT_H

#include "univend.h"

struct kiosk_init_opts {
    const char *kiosk_id;        /* NULL: default            */
    const char *currency;        /* NULL: default            */
    unsigned decimals;
    const char *passphrase_file; /* NULL: ask / environment  */
    uint32_t kdf_iterations;
    uint32_t pin_kdf_iterations;  /* 0: default */
    const char *credit_required;  /* "yes" (NULL: yes) or "no": may a kiosk
                                     head office has granted no credit sell? */
};

/* Create ctx->home with univend.conf, the database and the key store, and
   leave the context open. Refuses a home that already has a kiosk. */
uv_status kiosk_init(struct uv_ctx *ctx, const struct kiosk_init_opts *o);

#endif
