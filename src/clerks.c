/* clerks.c — clerk records, peppered PIN hashes, login and lockout. */
#include "clerks.h"

#include <gcrypt.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "masterdata.h"
#include "services.h"

#define PEPPER_REF "kiosk:pin-pepper"

const char *clerk_role_name(uint32_t role)
{
    return role == UV_ROLE_SUPERVISOR ? "supervisor" : role == UV_ROLE_CLERK ? "clerk"
                                                     : role == 0 ? "command line" : "nobody";
}

uint32_t clerk_role_parse(const char *s)
{
    if (s && strcmp(s, "clerk") == 0)
        return UV_ROLE_CLERK;
    if (s && strcmp(s, "supervisor") == 0)
        return UV_ROLE_SUPERVISOR;
    return 0;
}

int clerk_pin_valid(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;
    if (n < 4 || n > 12)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return 0;
    return 1;
}

/* The pepper: a random key in the key store, created on first use. */
static uv_status pepper(struct uv_ctx *ctx, uint8_t out[32])
{
    size_t len = 0;
    uv_status st = services_unlock_keys(ctx);
    if (st != UVS_OK)
        return st;
    st = keystore_get(&ctx->keys, &ctx->store, PEPPER_REF, out, 32, &len, &ctx->err);
    if (st == UVS_NOTFOUND) {
        DB_TXN *txn;
        gcry_randomize(out, 32, GCRY_STRONG_RANDOM);
        if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
            return st;
        st = keystore_put(&ctx->keys, &ctx->store, txn, PEPPER_REF, out, 32, ctx->actor, &ctx->err);
        if (st == UVS_OK)
            st = store_commit(&ctx->store, txn, &ctx->err);
        else
            store_abort(txn);
        return st;
    }
    if (st == UVS_OK && len != 32)
        return uv_fail(&ctx->err, UVS_KEY, "the PIN pepper key is damaged");
    return st;
}

/* hash = PBKDF2-SHA256(HMAC-SHA256(pepper, pin), salt, iterations) */
static uv_status pin_hash(struct uv_ctx *ctx, const char *pin, const uint8_t salt[16],
                          uint32_t iterations, uint8_t out[32])
{
    uint8_t pep[32], mac[32];
    uv_status st = pepper(ctx, pep);
    if (st != UVS_OK)
        return st;
    gcry_md_hd_t h;
    gcry_error_t e = gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE);
    if (!e)
        e = gcry_md_setkey(h, pep, sizeof pep);
    explicit_bzero(pep, sizeof pep);
    if (e) {
        gcry_md_close(h);
        return uv_fail(&ctx->err, UVS_KEY, "PIN hashing failed: %s", gcry_strerror(e));
    }
    gcry_md_write(h, pin, strlen(pin));
    memcpy(mac, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    e = gcry_kdf_derive(mac, sizeof mac, GCRY_KDF_PBKDF2, GCRY_MD_SHA256, salt, 16, iterations,
                        32, out);
    explicit_bzero(mac, sizeof mac);
    if (e)
        return uv_fail(&ctx->err, UVS_KEY, "PIN hashing failed: %s", gcry_strerror(e));
    return UVS_OK;
}

uv_status clerk_get(struct uv_ctx *ctx, const char *id, struct rec_clerk *c)
{
    if (!md_id_valid(id))
        return uv_fail(&ctx->err, UVS_INPUT, "clerk id '%s' is invalid", id ? id : "");
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_CLERKS, id, strlen(id), &rec_clerk_layout,
                                 c, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no clerk %s", id);
    return st;
}

/* Write a clerk record and an audit line in one transaction. */
static uv_status put_clerk(struct uv_ctx *ctx, const struct rec_clerk *c, int nooverwrite,
                           const char *action, const char *detail)
{
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_put_rec(&ctx->store, txn, UV_DB_CLERKS, c->id, strlen(c->id), &rec_clerk_layout, c,
                       nooverwrite, &ctx->err);
    if (st == UVS_EXISTS)
        st = uv_fail(&ctx->err, UVS_EXISTS, "clerk %s already exists", c->id);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, action, c->id, "%s", detail);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status clerk_add(struct uv_ctx *ctx, const char *id, const char *name, uint32_t role,
                    const char *pin)
{
    struct rec_clerk c;
    if (clerk_require_supervisor(ctx, "add clerks") != UVS_OK)
        return ctx->err.status;
    memset(&c, 0, sizeof c);
    if (!md_id_valid(id))
        return uv_fail(&ctx->err, UVS_INPUT, "clerk id '%s' is invalid (1-31 of A-Z a-z 0-9 . _ -)",
                       id ? id : "");
    if (!name || !*name || strlen(name) >= sizeof c.name)
        return uv_fail(&ctx->err, UVS_INPUT, "a clerk needs a name of at most %zu characters",
                       sizeof c.name - 1);
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return uv_fail(&ctx->err, UVS_INPUT, "the clerk's name is not printable");
    if (role != UV_ROLE_CLERK && role != UV_ROLE_SUPERVISOR)
        return uv_fail(&ctx->err, UVS_INPUT, "role must be clerk or supervisor");
    if (!clerk_pin_valid(pin))
        return uv_fail(&ctx->err, UVS_INPUT, "a PIN is 4 to 12 digits");
    strcpy(c.id, id);
    strcpy(c.name, name);
    c.role = role;
    c.kdf_iterations = ctx->cfg.pin_kdf_iterations;
    c.created_at = clock_now(ctx);
    gcry_randomize(c.salt, sizeof c.salt, GCRY_STRONG_RANDOM);
    uv_status st = pin_hash(ctx, pin, c.salt, c.kdf_iterations, c.pin_hash);
    if (st != UVS_OK)
        return st;
    char detail[96];
    snprintf(detail, sizeof detail, "%s, %s", name, clerk_role_name(role));
    return put_clerk(ctx, &c, 1, "clerk.add", detail);
}

uv_status clerk_set_pin(struct uv_ctx *ctx, const char *id, const char *pin)
{
    struct rec_clerk c;
    if (clerk_require_supervisor(ctx, "set PINs") != UVS_OK)
        return ctx->err.status;
    if (!clerk_pin_valid(pin))
        return uv_fail(&ctx->err, UVS_INPUT, "a PIN is 4 to 12 digits");
    uv_status st = clerk_get(ctx, id, &c);
    if (st != UVS_OK)
        return st;
    gcry_randomize(c.salt, sizeof c.salt, GCRY_STRONG_RANDOM);
    c.kdf_iterations = ctx->cfg.pin_kdf_iterations;
    if ((st = pin_hash(ctx, pin, c.salt, c.kdf_iterations, c.pin_hash)) != UVS_OK)
        return st;
    c.failed = 0;
    c.locked_until = 0;
    return put_clerk(ctx, &c, 0, "clerk.pin", "PIN set, lock cleared");
}

uv_status clerk_set_disabled(struct uv_ctx *ctx, const char *id, int disabled)
{
    struct rec_clerk c;
    if (clerk_require_supervisor(ctx, "disable or enable clerks") != UVS_OK)
        return ctx->err.status;
    uv_status st = clerk_get(ctx, id, &c);
    if (st != UVS_OK)
        return st;
    c.disabled = disabled ? 1 : 0;
    return put_clerk(ctx, &c, 0, disabled ? "clerk.disable" : "clerk.enable", "");
}

struct all_arg {
    struct rec_clerk *out;
    size_t cap, n;
};

static int all_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct all_arg *a = arg;
    (void)k;
    (void)kl;
    if (a->n < a->cap && rec_decode(&rec_clerk_layout, v, vl, &a->out[a->n]) != 0)
        return 0;
    a->n++;
    return 0;
}

uv_status clerk_all(struct uv_ctx *ctx, struct rec_clerk *out, size_t cap, size_t *n)
{
    struct all_arg a = {out, cap, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_CLERKS, NULL, 0, 0, all_one, &a, &ctx->err);
    *n = a.n;
    return st;
}

uv_status clerk_list(struct uv_ctx *ctx, FILE *out)
{
    struct rec_clerk cs[256];
    size_t n = 0;
    uv_status st = clerk_all(ctx, cs, 256, &n);
    if (st != UVS_OK)
        return st;
    int64_t now = clock_now(ctx);
    fprintf(out, "%-16s %-24s %-10s %s\n", "CLERK", "NAME", "ROLE", "STATE");
    for (size_t i = 0; i < n && i < 256; i++)
        fprintf(out, "%-16s %-24s %-10s %s\n", cs[i].id, cs[i].name, clerk_role_name(cs[i].role),
                cs[i].disabled ? "disabled" : cs[i].locked_until > now ? "locked"
                : cs[i].kdf_iterations == 0 ? "no PIN yet" : "active");
    return UVS_OK;
}

uv_status clerk_login(struct uv_ctx *ctx, const char *id, const char *pin, struct rec_clerk *out)
{
    struct rec_clerk c;
    uint8_t h[32];
    const char *who = (id && md_id_valid(id)) ? id : "?";
    uv_status st = md_id_valid(id) ? clerk_get(ctx, id, &c) : UVS_NOTFOUND;
    if (st == UVS_NOTFOUND) {
        audit_append(ctx, NULL, "login.failed", who, "unknown clerk");
        return uv_fail(&ctx->err, UVS_REFUSED, "wrong clerk id or PIN");
    }
    if (st != UVS_OK)
        return st;
    int64_t now = clock_now(ctx);
    if (c.disabled) {
        audit_append(ctx, NULL, "login.failed", c.id, "clerk disabled");
        return uv_fail(&ctx->err, UVS_REFUSED, "clerk %s is disabled; ask a supervisor", c.id);
    }
    if (c.locked_until > now) {
        long mins = (long)((c.locked_until - now + 59) / 60);
        audit_append(ctx, NULL, "login.failed", c.id, "locked");
        return uv_fail(&ctx->err, UVS_REFUSED, "clerk %s is locked for %ld more minute%s", c.id,
                       mins, mins == 1 ? "" : "s");
    }
    if (c.kdf_iterations == 0) { /* added by head office: no PIN set here yet */
        audit_append(ctx, NULL, "login.failed", c.id, "no PIN set yet");
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "clerk %s has no PIN yet; a supervisor sets it (Clerks screen, or "
                       "'univend clerk pin %s')",
                       c.id, c.id);
    }
    if (!clerk_pin_valid(pin)) {
        memset(h, 0, sizeof h);
        h[0] = 1; /* cannot match: an invalid PIN counts as a wrong one */
    } else if ((st = pin_hash(ctx, pin, c.salt, c.kdf_iterations, h)) != UVS_OK) {
        return st;
    }
    /* constant-time compare */
    uint8_t diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (uint8_t)(h[i] ^ c.pin_hash[i]);
    explicit_bzero(h, sizeof h);
    if (c.locked_until != 0 && c.locked_until <= now)
        c.failed = 0; /* a lock that has run out starts a fresh count */
    if (diff != 0) {
        c.failed++;
        c.locked_until = 0;
        int locked = c.failed >= ctx->cfg.pin_max_tries;
        if (locked)
            c.locked_until = now + (int64_t)ctx->cfg.pin_lockout_minutes * 60;
        char detail[64];
        snprintf(detail, sizeof detail, "wrong PIN (%u in a row)%s", c.failed,
                 locked ? ", clerk locked" : "");
        st = put_clerk(ctx, &c, 0, locked ? "login.locked" : "login.failed", detail);
        if (st != UVS_OK)
            return st;
        if (locked)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "wrong PIN: clerk %s is now locked for %u minutes", c.id,
                           ctx->cfg.pin_lockout_minutes);
        unsigned left = ctx->cfg.pin_max_tries - c.failed;
        return uv_fail(&ctx->err, UVS_REFUSED, "wrong clerk id or PIN (%u tr%s left)", left,
                       left == 1 ? "y" : "ies");
    }
    c.failed = 0;
    c.locked_until = 0;
    c.last_login = now;
    snprintf(ctx->actor, sizeof ctx->actor, "%s", c.id);
    ctx->role = c.role;
    st = put_clerk(ctx, &c, 0, "login", clerk_role_name(c.role));
    if (st != UVS_OK) {
        ctx->role = UV_ROLE_NOBODY;
        return st;
    }
    if (out)
        *out = c;
    return UVS_OK;
}

void clerk_logout_id(struct uv_ctx *ctx, const char *id)
{
    char self[sizeof ctx->actor];
    snprintf(self, sizeof self, "%s", ctx->actor);
    snprintf(ctx->actor, sizeof ctx->actor, "%s", id);
    audit_append(ctx, NULL, "logout", id, "%s", "taken over");
    snprintf(ctx->actor, sizeof ctx->actor, "%s", self);
}

uv_status clerk_require_supervisor(struct uv_ctx *ctx, const char *action)
{
    if (ctx->role == 0 || ctx->role == UV_ROLE_SUPERVISOR)
        return UVS_OK;
    audit_append(ctx, NULL, "denied", action, "%s",
                 ctx->role == UV_ROLE_CLERK ? "clerk role" : "nobody logged in");
    return uv_fail(&ctx->err, UVS_REFUSED, "only a supervisor may %s", action);
}

void clerk_logout(struct uv_ctx *ctx)
{
    if (ctx->role == UV_ROLE_CLERK || ctx->role == UV_ROLE_SUPERVISOR) {
        audit_append(ctx, NULL, "logout", ctx->actor, "%s", "");
        ctx->role = UV_ROLE_NOBODY;
    }
}
