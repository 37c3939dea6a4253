/*
 * screen.c — the terminal: modes, signals, layout, keys, fields, lists.
 *
 * Layout (80x24 and larger):
 *   row 0          status bar: univend, kiosk id, screen title | clerk, clock
 *   rows 2..L-3    the screen's content, 80 columns, centred on wider terminals
 *   row L-2        message line (refusals from the core, confirmations)
 *   row L-1        the keys this screen takes
 *
 * Every screen draws itself whole into curses' virtual screen; curses sends
 * the terminal only the cells that changed, so a redraw on a thin serial
 * terminal costs what changed. Input waits at most one second (timeout), which
 * drives the clock and the idle lock without a busy loop.
 */
#include "kiosk.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include <wchar.h>
#include <wctype.h>

#include "clerks.h"
#include "clock.h"
#include "i18n.h"
#include "money.h"

#define MIN_COLS 80
#define MIN_LINES 24

/* Set from signal handlers only. */
static volatile sig_atomic_t term_signal;
/* Cursor wanted at the next refresh (absolute), -1 hidden. Reset by ui_frame. */
static int cur_y = -1, cur_x = -1;

static void on_term(int sig)
{
    term_signal = sig;
}

void ui_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    /* A clerk's keyboard must not stop, suspend or kill the kiosk. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGTSTP, &sa, NULL);
    sigaction(SIGTTIN, &sa, NULL);
    sigaction(SIGTTOU, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL); /* a printer pipe that went away: EPIPE */
    /* Shutdown and hang-up: leave through the normal close path. No
       SA_RESTART, so the wait for a key returns at once. */
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

double ui_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ui_mark(struct kiosk *k, const char *event)
{
    if (!k->timing)
        return;
    struct timespec m, r;
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &r);
    fprintf(k->timing, "%s %lld %lld\n", event,
            (long long)m.tv_sec * 1000000000LL + m.tv_nsec,
            (long long)r.tv_sec * 1000000000LL + r.tv_nsec);
    fflush(k->timing);
}

static int too_small(void)
{
    return COLS < MIN_COLS || LINES < MIN_LINES;
}

static void draw_too_small(void)
{
    char buf[256], w[16], h[16];
    snprintf(w, sizeof w, "%d", COLS);
    snprintf(h, sizeof h, "%d", LINES);
    erase();
    trf(buf, sizeof buf, M_TOO_SMALL, w, h, NULL);
    ui_wrap(0, 0, COLS, LINES, A_BOLD, buf);
    cur_y = -1;
    curs_set(0);
    refresh();
}

void ui_start(struct kiosk *k)
{
    if (k->curses_on)
        return;
    if (initscr() == NULL) {
        fprintf(stderr, "univend-kiosk: cannot start the terminal\n");
        exit(1);
    }
    k->curses_on = 1;
    raw();    /* Ctrl-C, Ctrl-Z, Ctrl-\ arrive as keys; Ctrl-S/Ctrl-Q do not stop output */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    meta(stdscr, TRUE);
    set_escdelay(50);
    timeout(1000);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_WHITE, COLOR_BLUE);
        init_pair(2, COLOR_WHITE, COLOR_RED);
        init_pair(3, COLOR_GREEN, -1);
    }
    curs_set(0);
    k->last_key = ui_now();
}

void ui_stop(struct kiosk *k)
{
    if (!k->curses_on)
        return;
    erase();
    refresh();
    endwin();
    k->curses_on = 0;
}

/* ---- text ---------------------------------------------------------------- */

/* Decode one UTF-8 character at p; bad bytes become '?'. */
static size_t next_char(const char *p, wchar_t *wc, int *width)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = mbrtowc(wc, p, strlen(p), &st);
    if (n == 0)
        return 0;
    if (n == (size_t)-1 || n == (size_t)-2) {
        *wc = L'?';
        n = 1;
    }
    int w = wcwidth(*wc);
    if (w < 0) {
        *wc = L'?';
        w = 1;
    }
    *width = w;
    return n;
}

int ui_textwidth(const char *s)
{
    int total = 0;
    while (s && *s) {
        wchar_t wc;
        int w = 0;
        size_t n = next_char(s, &wc, &w);
        if (n == 0)
            break;
        total += w;
        s += n;
    }
    return total;
}

int ui_put_abs(int y, int x, int maxcols, attr_t attr, const char *s)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS || s == NULL)
        return 0;
    int room = COLS - x - (y == LINES - 1 ? 1 : 0); /* never the last cell */
    if (maxcols > room)
        maxcols = room;
    int used = 0;
    move(y, x);
    attron(attr);
    while (*s && used < maxcols) {
        wchar_t wc;
        int w = 0;
        size_t n = next_char(s, &wc, &w);
        if (n == 0)
            break;
        if (w == 0 && wc != 0) { /* combining mark: ride along */
            s += n;
            continue;
        }
        if (used + w > maxcols)
            break;
        if (wc < 32 || wc == 127)
            wc = L' ';
        addnwstr(&wc, 1);
        used += w;
        s += n;
    }
    attroff(attr);
    return used;
}

int ui_x0(void)
{
    return COLS > MIN_COLS ? (COLS - MIN_COLS) / 2 : 0;
}

int ui_width(void)
{
    return COLS < MIN_COLS ? COLS : MIN_COLS;
}

int ui_top(void)
{
    return 2;
}

int ui_bottom(void)
{
    return LINES - 3;
}

int ui_put(int y, int x, int maxcols, attr_t attr, const char *s)
{
    if (x >= ui_width())
        return 0;
    if (maxcols > ui_width() - x)
        maxcols = ui_width() - x;
    return ui_put_abs(y, ui_x0() + x, maxcols, attr, s);
}

int ui_wrap(int y, int x, int w, int maxrows, attr_t attr, const char *s)
{
    int rows = 0;
    while (s && *s && rows < maxrows) {
        /* find how much of s fits in w columns, preferring a break at a space */
        const char *p = s, *brk = NULL;
        int used = 0;
        while (*p && *p != '\n') {
            wchar_t wc;
            int cw = 0;
            size_t n = next_char(p, &wc, &cw);
            if (n == 0 || used + cw > w)
                break;
            if (wc == L' ')
                brk = p;
            used += cw;
            p += n;
        }
        const char *end = p;
        if (*p && *p != '\n' && brk && brk > s)
            end = brk;
        char line[1024];
        size_t len = (size_t)(end - s) < sizeof line - 1 ? (size_t)(end - s) : sizeof line - 1;
        memcpy(line, s, len);
        line[len] = '\0';
        ui_put_abs(y + rows, x, w, attr, line);
        rows++;
        s = end;
        while (*s == ' ')
            s++;
        if (*s == '\n')
            s++;
        if (end == s && *s && len == 0) /* a character wider than w */
            break;
    }
    return rows;
}

void ui_cursor(int y, int x)
{
    cur_y = y;
    cur_x = x;
}

/* ---- frame ---------------------------------------------------------------- */

/* the guarded clock (clock.h): what receipts carry */
static void clock_text(const struct kiosk *k, char *buf, size_t cap)
{
    time_t t = (time_t)clock_now(k->ctx);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

void ui_draw_status(struct kiosk *k)
{
    attr_t bar = has_colors() ? (COLOR_PAIR(1) | A_BOLD) : A_REVERSE;
    char left[256], right[160];
    clock_text(k, k->clock, sizeof k->clock);
    snprintf(left, sizeof left, " %s  %s  %s", tr(M_PRODUCT), k->ctx->cfg.kiosk_id, k->title ? k->title : "");
    if (k->logged_in && !k->locked)
        snprintf(right, sizeof right, "%s (%s)  %s ", k->clerk.id,
                 tr(k->clerk.role == UV_ROLE_SUPERVISOR ? M_ROLE_SUPERVISOR : M_ROLE_CLERK),
                 k->clock);
    else
        snprintf(right, sizeof right, "%s ", k->clock);
    attron(bar);
    mvhline(0, 0, ' ', COLS);
    attroff(bar);
    int rw = ui_textwidth(right);
    ui_put_abs(0, 0, COLS - rw - 1, bar, left);
    ui_put_abs(0, COLS - rw, rw, bar, right);
}

static void draw_message(struct kiosk *k)
{
    move(LINES - 2, 0);
    clrtoeol();
    if (!k->msg[0])
        return;
    attr_t a = A_BOLD;
    if (k->msg_kind == MSG_ERR)
        a = has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
    else if (k->msg_kind == MSG_OK && has_colors())
        a = COLOR_PAIR(3) | A_BOLD;
    /* a long refusal: the last content row takes the overflow */
    int w = ui_textwidth(k->msg) + 2;
    if (w > COLS) {
        move(LINES - 3, 0);
        clrtoeol();
        ui_wrap(LINES - 3, 1, COLS - 2, 2, a, k->msg);
    } else {
        ui_put_abs(LINES - 2, 1, COLS - 2, a, k->msg);
    }
}

static void draw_help(struct kiosk *k)
{
    attr_t bar = A_REVERSE;
    attron(bar);
    mvhline(LINES - 1, 0, ' ', COLS - 1);
    attroff(bar);
    if (k->help)
        ui_put_abs(LINES - 1, 1, COLS - 2, bar, k->help);
}

void ui_frame(struct kiosk *k, const char *title, const char *help)
{
    k->title = title;
    k->help = help;
    cur_y = cur_x = -1;
    erase();
    ui_draw_status(k);
    draw_help(k);
}

void ui_msg(struct kiosk *k, int kind, const char *text)
{
    snprintf(k->msg, sizeof k->msg, "%s", text ? text : "");
    k->msg_kind = kind;
}

void ui_msg_err(struct kiosk *k)
{
    ui_msg(k, MSG_ERR, k->ctx->err.message[0] ? k->ctx->err.message : tr(M_FAILED));
}

void ui_refresh(struct kiosk *k)
{
    draw_message(k);
    if (cur_y >= 0 && cur_y < LINES && cur_x >= 0 && cur_x < COLS) {
        curs_set(1);
        move(cur_y, cur_x);
    } else {
        curs_set(0);
    }
    refresh();
    if (!k->first_drawn) {
        k->first_drawn = 1;
        ui_mark(k, "first_screen");
    }
}

/* ---- keys ------------------------------------------------------------------ */

static int wait_big_enough(struct kiosk *k)
{
    while (too_small()) {
        draw_too_small();
        wint_t wc;
        int r = get_wch(&wc);
        if (term_signal) {
            k->unwind = UNWIND_QUIT;
            return 0;
        }
        (void)r;
    }
    clear(); /* the whole terminal is painted again */
    return 1;
}

/* Between actions (no transaction open): what the last action changed is
   written to the database files (nothing is done when nothing changed), so
   a full disk shows at the next action rather than thousands of sales
   later. A database stopped by a failed write is opened again with
   recovery, as soon as space has been freed; until then every action says
   why. The error slot is left as it was: this is no action of the clerk. */
static void store_between_actions(struct kiosk *k)
{
    struct uv_error saved = k->ctx->err;
    if (store_needs_recovery(&k->ctx->store))
        store_recover(&k->ctx->store, &k->ctx->err);
    else
        store_checkpoint(&k->ctx->store, &k->ctx->err);
    k->ctx->err = saved;
}

/* The next key; once: give up (K_NONE) after one input timeout. */
static int next_key(struct kiosk *k, int once)
{
    if (k->unwind)
        return K_UNWIND;
    store_between_actions(k);
    if (too_small() && !wait_big_enough(k))
        return K_UNWIND;
    for (;;) {
        wint_t wc = 0;
        int r = get_wch(&wc);
        if (term_signal) {
            k->unwind = UNWIND_QUIT;
            return K_UNWIND;
        }
        if (store_needs_recovery(&k->ctx->store))
            store_between_actions(k); /* space may have been freed meanwhile */
        double now = ui_now();
        if (r == ERR) { /* a timeout without a key (or a signal) */
            char c[32];
            clock_text(k, c, sizeof c);
            if (strcmp(c, k->clock) != 0) {
                ui_draw_status(k);
                if (cur_y >= 0)
                    move(cur_y, cur_x);
                refresh();
            }
            if (k->logged_in && !k->locked && k->idle_limit &&
                now - k->last_key >= (double)k->idle_limit) {
                screen_lock(k);
                k->last_key = ui_now();
                return k->unwind ? K_UNWIND : K_REDRAW;
            }
            if (once)
                return K_NONE;
            continue;
        }
        k->last_key = now;
        if (r == KEY_CODE_YES) {
            if (wc == KEY_RESIZE) {
                if (!wait_big_enough(k))
                    return K_UNWIND;
                return K_REDRAW;
            }
            k->msg[0] = '\0';
            if (wc == KEY_ENTER)
                return K_ENTER;
            if (wc == KEY_BACKSPACE || wc == KEY_DC)
                return K_BS;
            return K_FN((int)wc);
        }
        /* a character */
        if (wc == '\r' || wc == '\n') {
            k->msg[0] = '\0';
            return K_ENTER;
        }
        if (wc == 127 || wc == 8) {
            k->msg[0] = '\0';
            return K_BS;
        }
        if (wc == 27 || wc == 9 || wc == 21) { /* Esc, Tab, Ctrl-U */
            k->msg[0] = '\0';
            return (int)wc;
        }
        if (wc < 32 || (wc >= 127 && wc < 160))
            continue; /* Ctrl-C, Ctrl-Z, Ctrl-\, Ctrl-S, Ctrl-Q...: nothing */
        k->msg[0] = '\0';
        return (int)wc;
    }
}

int ui_key(struct kiosk *k)
{
    return next_key(k, 0);
}

int ui_key_within(struct kiosk *k, int ms)
{
    timeout(ms);
    int c = next_key(k, 1);
    timeout(1000);
    return c;
}

/* ---- fatal --------------------------------------------------------------- */

void ui_fatal(struct kiosk *k, const char *text)
{
    if (!k->curses_on) {
        fprintf(stderr, "univend-kiosk: %s\n", text);
    } else {
        k->logged_in = 0;
        k->title = tr(M_FATAL_TITLE);
        k->help = tr(M_HELP_ANYKEY);
        k->msg[0] = '\0';
        erase();
        ui_draw_status(k);
        draw_help(k);
        attr_t a = has_colors() ? (COLOR_PAIR(2) | A_BOLD) : (A_BOLD | A_REVERSE);
        ui_put(ui_top() + 1, 2, ui_width() - 4, a, tr(M_FATAL_TITLE));
        ui_wrap(ui_top() + 3, ui_x0() + 2, ui_width() - 4, 8, A_BOLD, text);
        ui_wrap(ui_top() + 12, ui_x0() + 2, ui_width() - 4, 4, A_NORMAL, tr(M_FATAL_HINT));
        curs_set(0);
        refresh();
        flushinp();
        for (;;) {
            wint_t wc;
            int r = get_wch(&wc);
            if (term_signal || (r != ERR && !(r == KEY_CODE_YES && wc == KEY_RESIZE)))
                break;
        }
        ui_stop(k);
    }
    uv_ctx_close(k->ctx);
    if (k->timing)
        fclose(k->timing);
    exit(k->exit_status ? k->exit_status : 1);
}

void ui_check_fatal(struct kiosk *k, uv_status st)
{
    /* a full disk is for the clerk to see, not the end of the kiosk: the
       database is recovered before the next action */
    if (st == UVS_STORE && store_needs_recovery(&k->ctx->store))
        return;
    if (st == UVS_STORE || st == UVS_NOMEM) {
        k->exit_status = (int)st;
        ui_fatal(k, k->ctx->err.message[0] ? k->ctx->err.message : uv_status_name(st));
    }
}

int ui_show_failure(struct kiosk *k, uv_status st)
{
    ui_check_fatal(k, st);
    if (st == UVS_OK)
        return 0;
    ui_msg_err(k);
    return 1;
}

/* ---- fields ---------------------------------------------------------------- */

void ui_wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

static unsigned char_count(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

void ui_field_init(struct ui_field *f, const char *label, unsigned max, unsigned flags,
                   const char *value)
{
    memset(f, 0, sizeof *f);
    f->label = label;
    f->max = max ? max : 32;
    if (f->max > sizeof f->buf - 1)
        f->max = sizeof f->buf - 1;
    f->flags = flags;
    f->width = (int)(f->max < 40 ? f->max + 1 : 40);
    if (value)
        snprintf(f->buf, sizeof f->buf, "%s", value);
}

static int char_allowed(const struct ui_field *f, int c)
{
    if (c < 32 || c >= 0x110000 || c == 127)
        return 0;
    if (f->flags & UF_DIGITS)
        return c >= '0' && c <= '9';
    if (f->flags & UF_AMOUNT)
        return (c >= '0' && c <= '9') || (c == '.' && strchr(f->buf, '.') == NULL);
    if (f->flags & UF_DATE)
        return (c >= '0' && c <= '9') || c == '-';
    if (f->flags & UF_ASCII)
        return c < 127;
    return iswprint((wint_t)c);
}

int ui_field_key(struct ui_field *f, int key)
{
    if (f->flags & UF_READONLY)
        return 0;
    size_t len = strlen(f->buf);
    if (key == K_BS) {
        if (len == 0)
            return 1;
        while (len > 0 && ((unsigned char)f->buf[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0)
            len--;
        f->buf[len] = '\0';
        return 1;
    }
    if (key == 21) { /* Ctrl-U: clear */
        ui_wipe(f->buf, sizeof f->buf);
        return 1;
    }
    if (key >= 0x110000 || !char_allowed(f, key))
        return 0;
    if (char_count(f->buf) >= f->max)
        return 1;
    char mb[MB_LEN_MAX + 1];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)key, &st);
    if (n == (size_t)-1 || len + n >= sizeof f->buf)
        return 1;
    memcpy(f->buf + len, mb, n);
    f->buf[len + n] = '\0';
    return 1;
}

int ui_field_draw(int y, int x, int lw, const struct ui_field *f, int focused)
{
    char shown[sizeof f->buf];
    int bx = x + lw + 1;
    ui_put(y, x, lw, focused ? A_BOLD : A_NORMAL, f->label);
    if (f->flags & UF_MASK) {
        unsigned n = char_count(f->buf);
        if (n > sizeof shown - 1)
            n = sizeof shown - 1;
        memset(shown, '*', n);
        shown[n] = '\0';
    } else {
        snprintf(shown, sizeof shown, "%s", f->buf);
    }
    int w = f->width;
    if (bx + w + 2 > ui_width())
        w = ui_width() - bx - 2;
    if (w < 1)
        w = 1;
    /* show the tail when the value is wider than the box */
    const char *s = shown;
    while (ui_textwidth(s) > w - 1 && *s) {
        s++;
        while (((unsigned char)*s & 0xC0) == 0x80)
            s++;
    }
    ui_put(y, bx, 1, A_NORMAL, "[");
    attr_t a = (f->flags & UF_READONLY) ? A_NORMAL : A_UNDERLINE;
    if (focused)
        a |= A_BOLD;
    char pad[256];
    int pw = w < (int)sizeof pad - 1 ? w : (int)sizeof pad - 1;
    memset(pad, ' ', (size_t)pw);
    pad[pw] = '\0';
    ui_put(y, bx + 1, w, a, pad);
    int used = ui_put(y, bx + 1, w, a, s);
    ui_put(y, bx + 1 + w, 1, A_NORMAL, "]");
    return ui_x0() + bx + 1 + used;
}

static int label_width(const struct ui_field *f, size_t n)
{
    int lw = 0;
    for (size_t i = 0; i < n; i++) {
        int w = ui_textwidth(f[i].label);
        if (w > lw)
            lw = w;
    }
    return lw + 1;
}

static size_t next_editable(const struct ui_field *f, size_t n, size_t from, int dir)
{
    size_t i = from;
    for (size_t step = 0; step < n; step++) {
        i = (i + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
        if (!(f[i].flags & UF_READONLY))
            return i;
    }
    return from;
}

int ui_form(struct kiosk *k, const char *title, const char *intro, struct ui_field *f, size_t n,
            ui_submit_fn submit, void *arg)
{
    size_t cur = 0, last = 0;
    while (cur < n && (f[cur].flags & UF_READONLY))
        cur++;
    if (cur == n)
        cur = 0;
    for (size_t i = 0; i < n; i++)
        if (!(f[i].flags & UF_READONLY))
            last = i;
    for (;;) {
        ui_frame(k, title, tr(M_HELP_FORM));
        int y = ui_top();
        if (intro)
            y += ui_wrap(y, ui_x0() + 2, ui_width() - 4, 3, A_NORMAL, intro) + 1;
        int lw = label_width(f, n);
        for (size_t i = 0; i < n; i++) {
            int cx = ui_field_draw(y + (int)i, 2, lw, &f[i], i == cur);
            if (i == cur)
                ui_cursor(y + (int)i, cx);
        }
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_ESC)
            return 0;
        if (c == K_REDRAW)
            continue;
        if (c == K_FN(KEY_UP) || c == K_FN(KEY_BTAB)) {
            cur = next_editable(f, n, cur, -1);
        } else if (c == K_FN(KEY_DOWN) || c == K_TAB) {
            cur = next_editable(f, n, cur, 1);
        } else if ((c == K_ENTER && cur >= last) || c == K_FN(KEY_F(10))) {
            if (submit(k, f, n, arg))
                return 1;
            if (k->unwind)
                return 0;
        } else if (c == K_ENTER) {
            cur = next_editable(f, n, cur, 1);
        } else {
            ui_field_key(&f[cur], c);
        }
    }
}

/* ---- lists ----------------------------------------------------------------- */

void ui_list_add(struct ui_list *l, const char *row)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **r = realloc(l->rows, cap * sizeof *r);
        if (r == NULL)
            return;
        l->rows = r;
        l->cap = cap;
    }
    char *copy = strdup(row);
    if (copy)
        l->rows[l->n++] = copy;
}

void ui_list_clear(struct ui_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->rows[i]);
    l->n = l->sel = l->top = 0;
}

void ui_list_free(struct ui_list *l)
{
    ui_list_clear(l);
    free(l->rows);
    l->rows = NULL;
    l->cap = 0;
}

void ui_list_draw(struct ui_list *l, int y, int h, int focused)
{
    if (h < 1)
        return;
    if (l->sel >= l->n)
        l->sel = l->n ? l->n - 1 : 0;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + (size_t)h)
        l->top = l->sel - (size_t)h + 1;
    for (int i = 0; i < h && l->top + (size_t)i < l->n; i++) {
        size_t r = l->top + (size_t)i;
        attr_t a = (r == l->sel) ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;
        if (r == l->sel) {
            attron(a);
            mvhline(y + i, ui_x0(), ' ', ui_width());
            attroff(a);
        }
        ui_put(y + i, 1, ui_width() - 2, a, l->rows[r]);
    }
    if (l->top > 0)
        ui_put(y, ui_width() - 1, 1, A_BOLD, "^");
    if (l->top + (size_t)h < l->n)
        ui_put(y + h - 1, ui_width() - 1, 1, A_BOLD, "v");
}

int ui_list_key(struct ui_list *l, int key, int h)
{
    if (l->n == 0)
        return 0;
    size_t page = h > 1 ? (size_t)h - 1 : 1;
    if (key == K_FN(KEY_UP)) {
        if (l->sel > 0)
            l->sel--;
    } else if (key == K_FN(KEY_DOWN)) {
        if (l->sel + 1 < l->n)
            l->sel++;
    } else if (key == K_FN(KEY_PPAGE)) {
        l->sel = l->sel > page ? l->sel - page : 0;
    } else if (key == K_FN(KEY_NPAGE)) {
        l->sel = l->sel + page < l->n ? l->sel + page : l->n - 1;
    } else if (key == K_FN(KEY_HOME)) {
        l->sel = 0;
    } else if (key == K_FN(KEY_END)) {
        l->sel = l->n - 1;
    } else {
        return 0;
    }
    return 1;
}

/* ---- text pages --------------------------------------------------------- */

void ui_text_set(struct ui_text *t, char *buf, size_t len)
{
    free(t->buf);
    t->buf = buf;
    t->len = len;
    t->top = 0;
}

void ui_text_free(struct ui_text *t)
{
    free(t->buf);
    memset(t, 0, sizeof *t);
}

size_t ui_text_lines(const struct ui_text *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++)
        if (t->buf[i] == '\n')
            n++;
    if (t->len && t->buf[t->len - 1] != '\n')
        n++;
    return n;
}

void ui_text_draw(const struct ui_text *t, int y, int x, int h, int w)
{
    size_t line = 0, i = 0;
    int row = 0;
    while (i < t->len && row < h) {
        size_t j = i;
        while (j < t->len && t->buf[j] != '\n')
            j++;
        if (line >= t->top) {
            char tmp[512];
            size_t n = j - i < sizeof tmp - 1 ? j - i : sizeof tmp - 1;
            memcpy(tmp, t->buf + i, n);
            tmp[n] = '\0';
            for (size_t q = 0; q < n; q++) /* ESC/POS or tabs never reach the screen */
                if ((unsigned char)tmp[q] < 32)
                    tmp[q] = ' ';
            ui_put(y + row, x, w, A_NORMAL, tmp);
            row++;
        }
        line++;
        i = j + 1;
    }
    size_t total = ui_text_lines(t);
    if (t->top > 0)
        ui_put(y, ui_width() - 1, 1, A_BOLD, "^");
    if (t->top + (size_t)h < total)
        ui_put(y + h - 1, ui_width() - 1, 1, A_BOLD, "v");
}

int ui_text_key(struct ui_text *t, int key, int h)
{
    size_t total = ui_text_lines(t);
    size_t maxtop = total > (size_t)h ? total - (size_t)h : 0;
    size_t page = h > 1 ? (size_t)h - 1 : 1;
    if (key == K_FN(KEY_UP)) {
        if (t->top > 0)
            t->top--;
    } else if (key == K_FN(KEY_DOWN)) {
        if (t->top < maxtop)
            t->top++;
    } else if (key == K_FN(KEY_PPAGE)) {
        t->top = t->top > page ? t->top - page : 0;
    } else if (key == K_FN(KEY_NPAGE)) {
        t->top = t->top + page < maxtop ? t->top + page : maxtop;
    } else if (key == K_FN(KEY_HOME)) {
        t->top = 0;
    } else if (key == K_FN(KEY_END)) {
        t->top = maxtop;
    } else {
        return 0;
    }
    return 1;
}

/* ---- small dialogs ----------------------------------------------------- */

int ui_confirm(struct kiosk *k, const char *question)
{
    ui_msg(k, MSG_INFO, question);
    ui_refresh(k);
    for (;;) {
        int c = ui_key(k);
        if (c == K_ENTER || c == K_FN(KEY_F(10))) {
            k->msg[0] = '\0';
            return 1;
        }
        if (c == K_ESC || c == K_UNWIND || c == K_REDRAW) {
            k->msg[0] = '\0';
            return 0;
        }
    }
}

void ui_notice(struct kiosk *k, const char *title, const char *text)
{
    for (;;) {
        ui_frame(k, title, tr(M_HELP_CONTINUE));
        ui_wrap(ui_top(), ui_x0() + 2, ui_width() - 4, ui_bottom() - ui_top(), A_NORMAL, text);
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_REDRAW)
            continue;
        if (c == K_ENTER || c == K_ESC || c == K_UNWIND)
            return;
    }
}

/* ---- rendering and formatting --------------------------------------------- */

char *ui_render(struct kiosk *k, ui_render_fn fn, const void *arg, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL) {
        k->exit_status = UVS_NOMEM;
        ui_fatal(k, strerror(errno));
    }
    fn(k, arg, f);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

void ui_money(const struct kiosk *k, int64_t minor, char *buf, size_t cap)
{
    char m[48];
    money_format(minor, k->ctx->cfg.currency_decimals, m, sizeof m);
    snprintf(buf, cap, "%s %s", m, k->ctx->cfg.currency);
}

void ui_energy(uint64_t wh, char *buf, size_t cap)
{
    char e[48];
    energy_format(wh, e, sizeof e);
    snprintf(buf, cap, "%s kWh", e);
}

void ui_time(int64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t == 0 || localtime_r(&tt, &tm) == NULL) {
        snprintf(buf, cap, "-");
        return;
    }
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

void ui_percent(uint32_t bp, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%02u%%", bp / 100, bp % 100);
}

int kiosk_is_supervisor(const struct kiosk *k)
{
    return k->logged_in && k->clerk.role == UV_ROLE_SUPERVISOR;
}

void ui_cell(char *dst, size_t cap, const char *s, int w, int right)
{
    size_t o = strlen(dst);
    int used = 0;
    const char *p = s ? s : "";
    size_t fit = 0;
    while (p[fit]) {
        wchar_t wc;
        int cw = 0;
        size_t n = next_char(p + fit, &wc, &cw);
        if (n == 0 || used + cw > w)
            break;
        used += cw;
        fit += n;
    }
    int pad = w - used;
    if (right)
        for (; pad > 0 && o + 1 < cap; pad--)
            dst[o++] = ' ';
    for (size_t i = 0; i < fit && o + 1 < cap; i++)
        dst[o++] = p[i];
    for (; pad > 0 && o + 1 < cap; pad--)
        dst[o++] = ' ';
    if (o + 1 < cap)
        dst[o++] = ' ';
    dst[o] = '\0';
}
