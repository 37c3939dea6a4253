/*
 * login.c — passphrase, start screen, clerk login, idle lock, logout.
 */
#include "kiosk.h"

#include <string.h>

#include "clerks.h"
#include "clock.h"
#include "credit.h"
#include "i18n.h"
#include "typeindex.h"

/* ---- the key store passphrase (when univend.conf names no file) --------- */

int screen_passphrase(struct kiosk *k)
{
    struct ui_field f;
    ui_field_init(&f, tr(M_PASS_LABEL), 200, UF_MASK, NULL);
    f.width = 32;
    for (;;) {
        ui_frame(k, tr(M_PASS_TITLE), tr(M_HELP_PASS));
        int y = ui_top();
        y += ui_wrap(y, ui_x0() + 2, ui_width() - 4, 3, A_NORMAL, tr(M_PASS_INTRO)) + 1;
        int cx = ui_field_draw(y, 2, ui_textwidth(f.label) + 1, &f, 1);
        ui_cursor(y, cx);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND) {
            ui_wipe(&f, sizeof f);
            return 0;
        }
        if (c == K_ENTER && f.buf[0]) {
            ui_msg(k, MSG_INFO, tr(M_PASS_CHECKING));
            ui_refresh(k);
            uv_status st = keystore_unlock(&k->ctx->keys, &k->ctx->store, f.buf, &k->ctx->err);
            ui_wipe(f.buf, sizeof f.buf);
            if (st == UVS_OK) {
                k->msg[0] = '\0';
                return 1;
            }
            ui_check_fatal(k, st);
            ui_msg_err(k);
        } else if (c == K_ESC) {
            ui_wipe(f.buf, sizeof f.buf);
        } else {
            ui_field_key(&f, c);
        }
    }
}

/* ---- start screen ------------------------------------------------------- */

#define MAX_STATUS 64

/* The vending credit line, and the clock's trouble when it has any. */
static int start_credit_and_clock(struct kiosk *k, int y, int lw)
{
    struct credit_status cs;
    struct clock_state ck;
    char line[400];
    attr_t warn = has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
    uv_status st = credit_status(k->ctx, &cs);
    ui_check_fatal(k, st);
    ui_put(y, 2, lw, A_BOLD, tr(M_CREDIT_LABEL));
    if (st != UVS_OK) {
        ui_put(y++, 2 + lw, 60, warn, k->ctx->err.message);
    } else if (credit_warning(k->ctx, &cs, line, sizeof line)) {
        y += ui_wrap(y, ui_x0() + 2 + lw, ui_width() - 4 - lw, 2, warn, line);
    } else {
        credit_summary(k->ctx, &cs, line, sizeof line);
        ui_put(y++, 2 + lw, 60, A_NORMAL, line);
    }
    st = clock_state(k->ctx, NULL, &ck);
    ui_check_fatal(k, st);
    if (st == UVS_OK && ck.verdict != CLOCK_OK)
        ui_put(y++, 2, 76, warn, tr(M_START_CLOCK_WRONG));
    return y;
}

void screen_start(struct kiosk *k)
{
    static struct uv_driver_status ds[MAX_STATUS]; /* 28 KB: off the stack */
    size_t n = 0;
    uv_status st = typeindex_status(k->ctx, ds, MAX_STATUS, &n);
    ui_check_fatal(k, st);
    char drv_err[600] = "";
    if (st != UVS_OK)
        snprintf(drv_err, sizeof drv_err, "%s", k->ctx->err.message);
    if (n > MAX_STATUS)
        n = MAX_STATUS;
    size_t refused = 0;
    for (size_t i = 0; i < n; i++)
        refused += !ds[i].ok;
    for (;;) {
        char line[512], now[32];
        ui_frame(k, tr(M_START_TITLE), tr(M_HELP_START));
        int y = ui_top(), lw = 18;
        ui_put(y, 2, lw, A_BOLD, tr(M_START_KIOSK));
        ui_put(y++, 2 + lw, 60, A_NORMAL, k->ctx->cfg.kiosk_id);
        ui_time(clock_now(k->ctx), now, sizeof now);
        ui_put(y, 2, lw, A_BOLD, tr(M_START_TIME));
        ui_put(y++, 2 + lw, 60, A_NORMAL, now);
        ui_put(y, 2, lw, A_BOLD, tr(M_START_DB));
        ui_put(y++, 2 + lw, 60, A_NORMAL, tr(M_START_DB_OK));
        ui_put(y, 2, lw, A_BOLD, tr(M_START_KEYS));
        ui_put(y++, 2 + lw, 60, A_NORMAL,
               tr(keystore_unlocked(&k->ctx->keys) ? M_START_KEYS_OK : M_START_KEYS_LOCKED));
        y = start_credit_and_clock(k, y, lw) + 1;
        char a[24], b[24];
        snprintf(a, sizeof a, "%zu", n - refused);
        snprintf(b, sizeof b, "%zu", refused);
        trf(line, sizeof line, M_START_DRIVERS, a, b, NULL);
        ui_put(y++, 2, 76, A_BOLD, line);
        int last = ui_bottom() - 2;
        if (drv_err[0])
            y += ui_wrap(y, ui_x0() + 4, ui_width() - 6, 2, A_BOLD, drv_err);
        if (n == 0 && !drv_err[0])
            ui_put(y++, 4, 74, A_NORMAL, tr(M_START_NO_DRIVERS));
        for (size_t i = 0; i < n && y <= last; i++) {
            if (y == last && i + 1 < n) {
                char more[24];
                snprintf(more, sizeof more, "%zu", n - i);
                trf(line, sizeof line, M_START_MORE, more, NULL, NULL);
                ui_put(y++, 4, 74, A_NORMAL, line);
                break;
            }
            snprintf(line, sizeof line, "%-15s %-10s %-8s %-16s", ds[i].code, ds[i].driver,
                     ds[i].version, ds[i].file);
            ui_put(y, 4, 54, A_NORMAL, line);
            if (ds[i].ok) {
                ui_put(y++, 59, 20, A_BOLD, tr(M_START_DRV_OK));
            } else {
                attr_t bad = has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
                ui_put(y++, 59, 20, bad, tr(M_START_DRV_REFUSED));
                if (y <= last)
                    y += ui_wrap(y, ui_x0() + 6, ui_width() - 8, 1, A_NORMAL, ds[i].reason);
            }
        }
        ui_put(ui_bottom(), 2, 76, A_BOLD, tr(M_START_PRESS));
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_REDRAW)
            continue;
        return;
    }
}

/* ---- login -------------------------------------------------------------- */

/* The clerk id and PIN fields, labels aligned, the cursor in field cur. */
static void draw_id_and_pin(int y, struct ui_field f[2], int cur)
{
    int lw = ui_textwidth(f[0].label);
    if (ui_textwidth(f[1].label) > lw)
        lw = ui_textwidth(f[1].label);
    lw += 1;
    for (int i = 0; i < 2; i++) {
        int cx = ui_field_draw(y + 2 * i, 2, lw, &f[i], i == cur);
        if (i == cur)
            ui_cursor(y + 2 * i, cx);
    }
}

static void logged_in(struct kiosk *k, const struct rec_clerk *c)
{
    k->clerk = *c;
    k->logged_in = 1;
    k->locked = 0;
    k->last_key = ui_now();
}

int screen_login(struct kiosk *k)
{
    struct ui_field f[2];
    ui_field_init(&f[0], tr(M_LOGIN_CLERK), 31, UF_ASCII, NULL);
    ui_field_init(&f[1], tr(M_LOGIN_PIN), 12, UF_DIGITS | UF_MASK, NULL);
    f[0].width = f[1].width = 20;
    int cur = 0;
    for (;;) {
        ui_frame(k, tr(M_LOGIN_TITLE), tr(cur == 0 ? M_HELP_LOGIN_ID : M_HELP_LOGIN_PIN));
        int y = ui_top() + 1;
        ui_put(y, 2, 76, A_BOLD, k->ctx->cfg.kiosk_id);
        y += 2;
        y += ui_wrap(y, ui_x0() + 2, ui_width() - 4, 2, A_NORMAL, tr(M_LOGIN_INTRO)) + 1;
        draw_id_and_pin(y, f, cur);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND) {
            ui_wipe(f, sizeof f);
            return 0;
        }
        if (c == K_REDRAW)
            continue;
        if (c == K_ESC) {
            if (cur == 1) {
                ui_wipe(f[1].buf, sizeof f[1].buf);
                cur = 0;
                continue;
            }
            ui_wipe(f, sizeof f);
            return 0; /* back to the start screen */
        }
        if (c == K_FN(KEY_UP) || c == K_FN(KEY_BTAB)) {
            cur = 0;
        } else if ((c == K_FN(KEY_DOWN) || c == K_TAB) && f[0].buf[0]) {
            cur = 1;
        } else if (c == K_ENTER && cur == 0) {
            if (f[0].buf[0])
                cur = 1;
        } else if (c == K_ENTER && cur == 1) {
            if (!f[1].buf[0])
                continue;
            ui_msg(k, MSG_INFO, tr(M_LOGIN_CHECKING));
            ui_refresh(k);
            struct rec_clerk cl;
            memset(&cl, 0, sizeof cl);
            uv_status st = clerk_login(k->ctx, f[0].buf, f[1].buf, &cl);
            ui_wipe(f[1].buf, sizeof f[1].buf);
            if (st == UVS_OK) {
                k->msg[0] = '\0';
                logged_in(k, &cl);
                ui_wipe(f, sizeof f);
                return 1;
            }
            ui_check_fatal(k, st);
            ui_msg_err(k);
        } else {
            ui_field_key(&f[cur], c);
        }
    }
}

void screen_logout(struct kiosk *k)
{
    if (k->logged_in)
        clerk_logout(k->ctx);
    snprintf(k->ctx->actor, sizeof k->ctx->actor, "kiosk"); /* nobody at the kiosk now */
    k->logged_in = 0;
    k->locked = 0;
    memset(&k->clerk, 0, sizeof k->clerk);
}

/* ---- idle lock ------------------------------------------------------------ */

/* Another clerk took over: the locked clerk is logged out (audited under
   that clerk's name), then the newcomer is the actor. */
static void take_over(struct kiosk *k, const struct rec_clerk *newc)
{
    clerk_logout_id(k->ctx, k->clerk.id);
    logged_in(k, newc);
}

void screen_lock(struct kiosk *k)
{
    struct uv_ctx *ctx = k->ctx;
    struct ui_field f[2];
    ui_field_init(&f[0], tr(M_LOGIN_CLERK), 31, UF_ASCII, k->clerk.id);
    ui_field_init(&f[1], tr(M_LOGIN_PIN), 12, UF_DIGITS | UF_MASK, NULL);
    f[0].width = f[1].width = 20;
    int cur = 1;
    char saved_actor[sizeof ctx->actor];
    uint32_t saved_role = ctx->role;
    snprintf(saved_actor, sizeof saved_actor, "%s", ctx->actor);
    k->locked = 1;
    k->msg[0] = '\0';
    flushinp();
    while (k->locked) {
        char line[512];
        ui_frame(k, tr(M_LOCK_TITLE), tr(M_HELP_LOCK));
        int y = ui_top() + 1;
        ui_put(y, 2, 76, A_BOLD | A_REVERSE, tr(M_LOCK_HEADLINE));
        y += 2;
        trf(line, sizeof line, M_LOCK_INTRO, k->clerk.id, NULL, NULL);
        y += ui_wrap(y, ui_x0() + 2, ui_width() - 4, 3, A_NORMAL, line) + 1;
        draw_id_and_pin(y, f, cur);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND)
            break;
        if (c == K_REDRAW)
            continue;
        if (c == K_ESC) {
            ui_field_init(&f[0], tr(M_LOGIN_CLERK), 31, UF_ASCII, k->clerk.id);
            ui_wipe(f[1].buf, sizeof f[1].buf);
            f[0].width = 20;
            cur = 1;
        } else if (c == K_FN(KEY_UP) || c == K_FN(KEY_BTAB)) {
            cur = 0;
        } else if (c == K_FN(KEY_DOWN) || c == K_TAB || (c == K_ENTER && cur == 0)) {
            if (f[0].buf[0])
                cur = 1;
        } else if (c == K_ENTER && cur == 1 && f[1].buf[0] && f[0].buf[0]) {
            ui_msg(k, MSG_INFO, tr(M_LOGIN_CHECKING));
            ui_refresh(k);
            struct rec_clerk cl;
            memset(&cl, 0, sizeof cl);
            uv_status st = clerk_login(ctx, f[0].buf, f[1].buf, &cl);
            ui_wipe(f[1].buf, sizeof f[1].buf);
            if (st == UVS_OK) {
                k->msg[0] = '\0';
                if (strcmp(cl.id, k->clerk.id) == 0) {
                    logged_in(k, &cl);
                } else {
                    take_over(k, &cl);
                    k->unwind = UNWIND_MENU;
                }
                break;
            }
            /* the locked clerk is still the one logged in */
            snprintf(ctx->actor, sizeof ctx->actor, "%s", saved_actor);
            ctx->role = saved_role;
            ui_check_fatal(k, st);
            ui_msg_err(k);
        } else {
            ui_field_key(&f[cur], c);
        }
    }
    ui_wipe(f, sizeof f);
    k->locked = 0;
    clear(); /* nothing of the locked screen's content may linger */
}
