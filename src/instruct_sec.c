/* instruct_sec.c — instruction records for trust and cards: trust a new
   head office key, revoke a key, blacklist card serials. */
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "blacklist.h"
#include "digest.h"
#include "ed25519.h"
#include "instruct_apply.h"
#include "masterdata.h"
#include "textrec.h"
#include "trust.h"

static uv_status bad(struct uv_error *err, const char *what)
{
    return uv_fail(err, UVS_INPUT, "%s", what);
}

static int key_of(const char *hex, uint8_t pub[32])
{
    return tr_parse_hex(hex, strlen(hex), pub, 32) == 0 && ed25519_public_ok(pub) ? 0 : -1;
}

/* ---- trust-add: NAME,HEX ---------------------------------------------- */

uv_status ik_trust_add_check(const struct instr_record *r, struct uv_error *err)
{
    uint8_t pub[32];
    if (!md_id_valid(r->f[0]))
        return bad(err, "the key name is invalid (1-31 of A-Z a-z 0-9 . _ -)");
    return key_of(r->f[1], pub) == 0 ? UVS_OK
                                     : bad(err, "the public key is not 64 lower-case hex digits "
                                                "of a usable Ed25519 key");
}

uv_status ik_trust_add_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    uint8_t pub[32];
    key_of(r->f[1], pub);
    uv_status st = trust_add_txn(ctx, txn, r->f[0], pub);
    if (st == UVS_EXISTS) {
        /* already trusted under that name and key: nothing to do */
        struct rec_trust t;
        struct uv_error keep = ctx->err;
        if (trust_check(ctx, txn, pub, &t) == UVS_OK && strcmp(t.name, r->f[0]) == 0)
            return UVS_OK;
        ctx->err = keep;
    }
    if (st == UVS_OK)
        r->run->other++;
    return st;
}

/* ---- revoke-key: HEX -------------------------------------------------- */

uv_status ik_revoke_key_check(const struct instr_record *r, struct uv_error *err)
{
    uint8_t pub[32];
    return key_of(r->f[0], pub) == 0 ? UVS_OK
                                     : bad(err, "the public key is not 64 lower-case hex digits "
                                                "of a usable Ed25519 key");
}

uv_status ik_revoke_key_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    uint8_t pub[32];
    char by[48];
    key_of(r->f[0], pub);
    r->run->other++;
    return trust_revoke_key_txn(ctx, txn, pub, ik_by(r, by, sizeof by));
}

/* ---- blacklist: SERIAL[,REASON]; blacklist-remove: SERIAL ------------- */

uv_status ik_blacklist_check(const struct instr_record *r, struct uv_error *err)
{
    if (!blacklist_serial_valid(r->f[0]))
        return bad(err, "the card serial is invalid (1-31 of A-Z a-z 0-9 . _ - :)");
    if (r->nf > 1 && ik_text(r->f[1], sizeof ((struct rec_blacklist *)0)->reason) != 0)
        return bad(err, "the reason is not printable or longer than 95 characters");
    return UVS_OK;
}

uv_status ik_blacklist_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_blacklist b;
    char by[48];
    memset(&b, 0, sizeof b);
    snprintf(b.serial, sizeof b.serial, "%s", r->f[0]);
    snprintf(b.reason, sizeof b.reason, "%s", r->nf > 1 ? r->f[1] : "");
    b.added_at = clock_now(ctx);
    b.instruction = r->run->seq;
    uv_status st = blacklist_put_txn(ctx, txn, &b);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "card.blacklist", b.serial, "%s, by %s", b.reason,
                          ik_by(r, by, sizeof by));
    if (st == UVS_OK)
        r->run->other++;
    return st;
}

uv_status ik_blacklist_remove_check(const struct instr_record *r, struct uv_error *err)
{
    return blacklist_serial_valid(r->f[0]) ? UVS_OK : bad(err, "the card serial is invalid");
}

uv_status ik_blacklist_remove_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    char by[48];
    uv_status st = blacklist_del_txn(ctx, txn, r->f[0]);
    if (st == UVS_NOTFOUND)
        return UVS_OK; /* not listed: already as head office wants it */
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "card.unblacklist", r->f[0], "by %s", ik_by(r, by, sizeof by));
    if (st == UVS_OK)
        r->run->other++;
    return st;
}
