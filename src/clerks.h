/*
 * clerks.h — the people at the kiosk: ids, roles, PINs, lockout.
 *
 * A PIN is never stored. What is stored is PBKDF2-HMAC-SHA256 (libgcrypt,
 * pin_kdf_iterations, default 150,000) of HMAC-SHA256(pepper, PIN) with a
 * per-clerk salt; the pepper is a random key kept wrapped in the key store,
 * so a copied database alone does not let anyone try PINs offline.
 * pin_max_tries wrong PINs in a row (default 5) lock that clerk for
 * pin_lockout_minutes (default 15). Every login, failure, lockout and
 * change is audited.
 */
#ifndef UV_CLERKS_H
#define UV_CLERKS_H

#include "univend.h"

/* ctx->role: 0 is the command line; a kiosk starts at UV_ROLE_NOBODY and
   returns to it at every logout, so a kiosk with nobody logged in can do
   nothing a clerk could not. */
enum uv_role { UV_ROLE_CLERK = 1, UV_ROLE_SUPERVISOR = 2, UV_ROLE_NOBODY = 3 };

const char *clerk_role_name(uint32_t role);
/* "clerk" / "supervisor" -> role; 0 if neither. */
uint32_t clerk_role_parse(const char *s);
/* A PIN: 4 to 12 digits. */
int clerk_pin_valid(const char *pin);

uv_status clerk_add(struct uv_ctx *ctx, const char *id, const char *name, uint32_t role,
                    const char *pin);
uv_status clerk_get(struct uv_ctx *ctx, const char *id, struct rec_clerk *c);
uv_status clerk_set_pin(struct uv_ctx *ctx, const char *id, const char *pin);
uv_status clerk_set_disabled(struct uv_ctx *ctx, const char *id, int disabled);
/* Fill out[0..cap-1] with clerks in id order; *n is how many there are. */
uv_status clerk_all(struct uv_ctx *ctx, struct rec_clerk *out, size_t cap, size_t *n);
uv_status clerk_list(struct uv_ctx *ctx, FILE *out);

/* Check id + PIN. On success ctx->actor and ctx->role become this clerk's.
   UVS_REFUSED with a message for: unknown clerk or wrong PIN (the same
   message, with the tries left), locked (with the minutes left), disabled. */
uv_status clerk_login(struct uv_ctx *ctx, const char *id, const char *pin, struct rec_clerk *c);
/* Forget the logged-in clerk (audited). */
void clerk_logout(struct uv_ctx *ctx);
/* Log out clerk id (audited as that clerk), e.g. when another clerk takes
   over a locked kiosk; the context's own clerk is unchanged. */
void clerk_logout_id(struct uv_ctx *ctx, const char *id);

/* Supervisor actions: allowed to a kiosk session (ctx->role set by a login)
   only when the clerk is a supervisor; the command line (role 0) is
   governed by who may run it and read the kiosk's files. UVS_REFUSED
   naming the action otherwise (and audited). */
uv_status clerk_require_supervisor(struct uv_ctx *ctx, const char *action);

#endif
