/* clock.c — the guarded clock: offset, floor, and the checks before a sale. */
#include "clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clerks.h"

#define META_OFFSET "clock.offset"
#define META_FLOOR "clock.floor"
#define META_CONFIRMED "clock.confirmed"

/* Signed 64-bit values in META, 8 bytes big endian. */
static uv_status meta_i64(struct uv_ctx *ctx, DB_TXN *txn, const char *name, int64_t *v, int rmw)
{
    uint8_t b[8];
    size_t len = 0;
    uv_status st = store_meta_get(&ctx->store, txn, name, b, sizeof b, &len, rmw, &ctx->err);
    *v = 0;
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st == UVS_OK && len != 8)
        return uv_fail(&ctx->err, UVS_STORE, "the stored %s is damaged; run 'univend store verify'",
                       name);
    if (st == UVS_OK)
        *v = (int64_t)rec_u64_from_key(b);
    return st;
}

static uv_status put_i64(struct uv_ctx *ctx, DB_TXN *txn, const char *name, int64_t v)
{
    uint8_t b[8];
    rec_u64_key((uint64_t)v, b);
    return store_meta_put(&ctx->store, txn, name, b, 8, &ctx->err);
}

int64_t clock_now(const struct uv_ctx *ctx)
{
    return (int64_t)time(NULL) + ctx->clock_offset;
}

uv_status clock_load(struct uv_ctx *ctx)
{
    return meta_i64(ctx, NULL, META_OFFSET, &ctx->clock_offset, 0);
}

void clock_format(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, cap, "@%lld", (long long)t);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int clock_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec = 0;
    size_t n = s ? strlen(s) : 0;
    if (n && s[n - 1] == 'Z')
        n--;
    if ((n != 16 && n != 19) || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != ' ' && s[10] != 'T') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
        (n == 19 && (s[16] != ':' || digits(s + 17, 2, &sec))))
        return -1;
    if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d || tm.tm_mon != mo - 1) /* 31 April and the like */
        return -1;
    *out = (int64_t)t;
    return 0;
}

static enum clock_verdict verdict_at(const struct uv_ctx *ctx, const struct clock_state *s,
                                     int64_t now)
{
    int64_t tolerance = (int64_t)ctx->cfg.clock_tolerance_minutes * 60;
    int64_t span = (int64_t)ctx->cfg.clock_jump_days * 86400;
    if (s->floor && now + tolerance < s->floor)
        return CLOCK_BEHIND;
    if (span && s->activity && now > s->activity + span)
        return CLOCK_JUMPED;
    return CLOCK_OK;
}

uv_status clock_state(struct uv_ctx *ctx, DB_TXN *txn, struct clock_state *s)
{
    memset(s, 0, sizeof *s);
    s->system = (int64_t)time(NULL);
    s->offset = ctx->clock_offset;
    s->now = s->system + s->offset;
    uv_status st = meta_i64(ctx, txn, META_FLOOR, &s->floor, 0);
    if (st == UVS_OK)
        st = meta_i64(ctx, txn, META_CONFIRMED, &s->confirmed, 0);
    if (st != UVS_OK)
        return st;
    s->activity = s->floor > s->confirmed ? s->floor : s->confirmed;
    s->verdict = verdict_at(ctx, s, s->now);
    return UVS_OK;
}

/* "3 days 4 hours", "2 hours", "25 minutes" */
static void span_text(int64_t secs, char *buf, size_t cap)
{
    long long big, small;
    const char *bu, *su;
    if (secs < 0)
        secs = -secs;
    if (secs < 3600) {
        long long m = (secs + 59) / 60; /* rounded up: 59 min 1 s and more is an hour */
        if (m < 60) {
            snprintf(buf, cap, "%lld minute%s", m, m == 1 ? "" : "s");
            return;
        }
        secs = 3600;
    }
    if (secs >= 86400) {
        big = secs / 86400, small = secs % 86400 / 3600, bu = "day", su = "hour";
    } else {
        big = secs / 3600, small = secs % 3600 / 60, bu = "hour", su = "minute";
    }
    if (small)
        snprintf(buf, cap, "%lld %s%s %lld %s%s", big, bu, big == 1 ? "" : "s", small, su,
                 small == 1 ? "" : "s");
    else
        snprintf(buf, cap, "%lld %s%s", big, bu, big == 1 ? "" : "s");
}

static uv_status refusal(struct uv_ctx *ctx, const struct clock_state *s)
{
    char now[40], ref[40], gap[64];
    clock_format(s->now, now, sizeof now);
    if (s->verdict == CLOCK_BEHIND) {
        clock_format(s->floor, ref, sizeof ref);
        span_text(s->floor - s->now, gap, sizeof gap);
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "the kiosk clock (%s) is %s earlier than the last sale or head office "
                       "time (%s): no sale or token until a supervisor corrects the time "
                       "(clock set); call a supervisor",
                       now, gap, ref);
    }
    clock_format(s->activity, ref, sizeof ref);
    span_text(s->now - s->activity, gap, sizeof gap);
    return uv_fail(&ctx->err, UVS_REFUSED,
                   "the kiosk clock (%s) is %s past the last activity (%s): a supervisor must "
                   "confirm the time before the next sale (clock confirm); call a supervisor",
                   now, gap, ref);
}

uv_status clock_guard(struct uv_ctx *ctx, DB_TXN *txn, int64_t now)
{
    struct clock_state s;
    uv_status st = clock_state(ctx, txn, &s);
    if (st != UVS_OK)
        return st;
    s.now = now; /* the caller's reading of the clock is the one that counts */
    s.verdict = verdict_at(ctx, &s, now);
    return s.verdict == CLOCK_OK ? UVS_OK : refusal(ctx, &s);
}

uv_status clock_guard_audited(struct uv_ctx *ctx)
{
    uv_status st = clock_guard(ctx, NULL, clock_now(ctx));
    if (st == UVS_REFUSED)
        audit_append(ctx, NULL, "clock.refused", ctx->cfg.kiosk_id, "%s", ctx->err.message);
    return st;
}

uv_status clock_raise_floor(struct uv_ctx *ctx, DB_TXN *txn, int64_t t)
{
    int64_t floor;
    uv_status st = meta_i64(ctx, txn, META_FLOOR, &floor, 1);
    if (st == UVS_OK && t > floor)
        st = put_i64(ctx, txn, META_FLOOR, t);
    return st;
}

uv_status clock_raise_floor_hq(struct uv_ctx *ctx, DB_TXN *txn, int64_t hq_time)
{
    int64_t floor;
    char a[40], b[40];
    uv_status st = meta_i64(ctx, txn, META_FLOOR, &floor, 1);
    if (st != UVS_OK || hq_time <= floor)
        return st;
    if ((st = put_i64(ctx, txn, META_FLOOR, hq_time)) != UVS_OK)
        return st;
    clock_format(floor, a, sizeof a);
    clock_format(hq_time, b, sizeof b);
    return audit_append(ctx, txn, "clock.floor", ctx->cfg.kiosk_id,
                        "head office time raises the floor from %s to %s",
                        floor ? a : "(none)", b);
}

uv_status clock_set(struct uv_ctx *ctx, int64_t t)
{
    struct clock_state s;
    DB_TXN *txn;
    char old[40], new_[40], fl[40];
    int64_t offset = 0;
    if (clerk_require_supervisor(ctx, "set the kiosk clock") != UVS_OK)
        return ctx->err.status;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    if ((st = clock_state(ctx, txn, &s)) != UVS_OK)
        goto out;
    clock_format(s.now, old, sizeof old);
    clock_format(t, new_, sizeof new_);
    if (s.floor && t + (int64_t)ctx->cfg.clock_tolerance_minutes * 60 < s.floor) {
        clock_format(s.floor, fl, sizeof fl);
        st = uv_fail(&ctx->err, UVS_REFUSED,
                     "%s is before the last sale or head office time (%s): tokens already "
                     "issued carry later times, and the kiosk never goes back past them",
                     new_, fl);
        goto out;
    }
    offset = t - s.system;
    if ((st = put_i64(ctx, txn, META_OFFSET, offset)) != UVS_OK ||
        (st = put_i64(ctx, txn, META_CONFIRMED, t)) != UVS_OK)
        goto out;
    st = audit_append(ctx, txn, "clock.set", ctx->cfg.kiosk_id,
                      "from %s to %s (host clock %+lld s)", old, new_, (long long)offset);
out:
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    if ((st = store_commit(&ctx->store, txn, &ctx->err)) == UVS_OK)
        ctx->clock_offset = offset;
    return st;
}

uv_status clock_confirm(struct uv_ctx *ctx)
{
    struct clock_state s;
    DB_TXN *txn;
    char now[40], ref[40], gap[64];
    if (clerk_require_supervisor(ctx, "confirm the kiosk clock") != UVS_OK)
        return ctx->err.status;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    if ((st = clock_state(ctx, txn, &s)) != UVS_OK)
        goto out;
    if (s.verdict == CLOCK_BEHIND) {
        st = refusal(ctx, &s);
        snprintf(ctx->err.message, sizeof ctx->err.message,
                 "a clock earlier than the last sale or head office time cannot be confirmed; "
                 "set the right time instead (clock set)");
        goto out;
    }
    clock_format(s.now, now, sizeof now);
    clock_format(s.activity, ref, sizeof ref);
    span_text(s.now - s.activity, gap, sizeof gap);
    if ((st = put_i64(ctx, txn, META_CONFIRMED, s.now)) != UVS_OK)
        goto out;
    st = audit_append(ctx, txn, "clock.confirm", ctx->cfg.kiosk_id,
                      "time %s confirmed, %s after the last activity %s", now,
                      s.activity ? gap : "none", s.activity ? ref : "(none)");
out:
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status clock_confirm_as(struct uv_ctx *ctx, const char *id, const char *pin)
{
    char actor[sizeof ctx->actor];
    uint32_t role = ctx->role;
    snprintf(actor, sizeof actor, "%s", ctx->actor);
    uv_status st = clerk_login(ctx, id, pin, NULL);
    if (st == UVS_OK)
        st = clock_confirm(ctx); /* as the supervisor: a clerk is refused there */
    if (ctx->role != role || strcmp(ctx->actor, actor) != 0) {
        if (ctx->role == UV_ROLE_CLERK || ctx->role == UV_ROLE_SUPERVISOR) {
            struct uv_error keep = ctx->err;
            audit_append(ctx, NULL, "logout", ctx->actor, "%s", "after confirming the clock");
            ctx->err = keep;
        }
        snprintf(ctx->actor, sizeof ctx->actor, "%s", actor);
        ctx->role = role;
    }
    return st;
}

uv_status clock_show(struct uv_ctx *ctx, FILE *out)
{
    struct clock_state s;
    char a[40];
    uv_status st = clock_state(ctx, NULL, &s);
    if (st != UVS_OK)
        return st;
    clock_format(s.now, a, sizeof a);
    fprintf(out, "kiosk time      %s\n", a);
    clock_format(s.system, a, sizeof a);
    fprintf(out, "host clock      %s (correction %+lld s)\n", a, (long long)s.offset);
    clock_format(s.floor, a, sizeof a);
    fprintf(out, "floor           %s\n", s.floor ? a : "none yet (no sale or instruction)");
    clock_format(s.confirmed, a, sizeof a);
    fprintf(out, "last confirmed  %s\n", s.confirmed ? a : "never");
    fprintf(out, "tolerance       %u minutes back; a supervisor confirms after %u days%s\n",
            ctx->cfg.clock_tolerance_minutes, ctx->cfg.clock_jump_days,
            ctx->cfg.clock_jump_days ? "" : " (off)");
    if (s.verdict == CLOCK_OK) {
        fprintf(out, "state           ok: sales allowed\n");
        return UVS_OK;
    }
    refusal(ctx, &s);
    fprintf(out, "state           %s: %s\n", s.verdict == CLOCK_BEHIND ? "BEHIND" : "JUMPED",
            ctx->err.message);
    uv_error_clear(&ctx->err);
    return UVS_OK;
}
