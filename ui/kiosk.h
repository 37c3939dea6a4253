/*
 * kiosk.h — the ncurses kiosk: state shared by its screens, and the screens.
 *
 * The kiosk holds no business logic: every sale, lookup, report and change
 * is a call into the core (src/), exactly as the command line makes it. This
 * file is the UI's own state: who is logged in, what the status and message
 * lines say, the idle timer, and how far a screen must unwind (back to the
 * menu after another clerk took over a locked kiosk, or out on SIGTERM).
 */
#ifndef UV_KIOSK_H
#define UV_KIOSK_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "univend.h"

#define NCURSES_WIDECHAR 1
#include <curses.h>

/* How far screens unwind after the current key. */
enum ui_unwind {
    UNWIND_NONE = 0,
    UNWIND_MENU = 1, /* another clerk took over at the lock screen */
    UNWIND_QUIT = 2  /* SIGTERM / SIGHUP, or a fatal error          */
};

struct kiosk {
    struct uv_ctx *ctx;
    struct rec_clerk clerk; /* the logged-in clerk                    */
    int logged_in;
    int curses_on;
    int utf8;               /* the locale encodes UTF-8               */
    int unwind;             /* enum ui_unwind                         */
    int locked;             /* the idle lock screen is up             */
    double last_key;        /* monotonic seconds of the last key      */
    unsigned idle_limit;    /* seconds without a key before the lock; 0: never */
    const char *title;      /* current screen's title (translated)    */
    const char *help;       /* current screen's key help (translated) */
    char clock[32];         /* what the status line shows now         */
    char msg[600];          /* message line                           */
    int msg_kind;           /* MSG_INFO, MSG_OK, MSG_ERR              */
    FILE *timing;           /* UNIVEND_KIOSK_TIMING, or NULL          */
    int first_drawn;
    int exit_status;
};

enum { MSG_INFO = 0, MSG_OK = 1, MSG_ERR = 2 };

/* ---- keys returned by ui_key() ------------------------------------------ */
#define K_FN(x) (0x1000000 | (x)) /* a curses KEY_* code                 */
#define K_ESC 27
#define K_TAB 9
#define K_ENTER 0x2000001
#define K_BS 0x2000002
#define K_REDRAW 0x2000003 /* the screen must be drawn again (resize, unlock) */
#define K_UNWIND 0x2000004 /* k->unwind is set: return towards the menu/exit */
#define K_NONE 0x2000005   /* ui_key_within: no key in that time */

/* ---- screen.c: terminal, layout, input -------------------------------- */
void ui_signals(void);               /* before initscr                     */
void ui_start(struct kiosk *k);      /* initscr and modes                  */
void ui_stop(struct kiosk *k);       /* endwin                             */
int ui_key(struct kiosk *k);         /* next key; runs clock, idle lock, resize */
int ui_key_within(struct kiosk *k, int ms); /* the same, or K_NONE after ms */
double ui_now(void);                 /* monotonic seconds                  */
void ui_mark(struct kiosk *k, const char *event); /* a UNIVEND_KIOSK_TIMING line */
void ui_refresh(struct kiosk *k);
/* Clear the screen, draw the title bar, message and help lines. */
void ui_frame(struct kiosk *k, const char *title, const char *help);
void ui_draw_status(struct kiosk *k);
void ui_msg(struct kiosk *k, int kind, const char *text);
void ui_msg_err(struct kiosk *k);    /* the core's error message           */
/* Content area: rows 2 .. LINES-3, columns x0 .. x0+ui_width()-1. */
int ui_x0(void);
int ui_width(void);
int ui_top(void);
int ui_bottom(void);                 /* last content row                   */
/* Print UTF-8 text at content (y, x), at most maxcols columns (clipped to
   the content area); returns the columns used. */
int ui_put(int y, int x, int maxcols, attr_t attr, const char *s);
/* The same at absolute screen coordinates (clipped to the screen). */
int ui_put_abs(int y, int x, int maxcols, attr_t attr, const char *s);
/* Wrap text into at most maxrows rows of w columns; returns rows used. */
int ui_wrap(int y, int x, int w, int maxrows, attr_t attr, const char *s);
/* Where the cursor goes at the next ui_refresh (absolute); -1: hidden. */
void ui_cursor(int y, int x);
int ui_textwidth(const char *s);
/* Append s fitted into w columns (padded; right-aligned if right) and a space. */
void ui_cell(char *dst, size_t cap, const char *s, int w, int right);
/* Fatal: show the message, wait for a key, leave. Never returns. */
void ui_fatal(struct kiosk *k, const char *text) __attribute__((noreturn));
/* UVS_STORE / UVS_NOMEM from the core end the kiosk (after the message),
   except a database stopped by a failed write (a full disk): ui_key()
   recovers it before the next action. */
void ui_check_fatal(struct kiosk *k, uv_status st);
/* The outcome of a core call: a damaged store ends the kiosk (ui_check_fatal),
   any other failure is shown on the message line. Returns 1 when st failed. */
int ui_show_failure(struct kiosk *k, uv_status st);

/* Text fields. */
enum {
    UF_DIGITS = 1,   /* 0-9 only                                  */
    UF_AMOUNT = 2,   /* 0-9 and one '.'                           */
    UF_MASK = 4,     /* shown as '*'                              */
    UF_READONLY = 8,
    UF_ASCII = 16,   /* printable ASCII only (ids, codes, params) */
    UF_DATE = 32     /* 0-9 and '-'                               */
};
struct ui_field {
    const char *label;  /* translated                                */
    char buf[256];      /* UTF-8                                     */
    unsigned max;       /* characters                                */
    unsigned flags;
    int width;          /* box width on screen                       */
};
void ui_field_init(struct ui_field *f, const char *label, unsigned max, unsigned flags,
                   const char *value);
int ui_field_key(struct ui_field *f, int key); /* 1: consumed         */
/* Draw "label  [value   ]" with the label in lw columns; returns the
   screen column where the cursor goes. */
int ui_field_draw(int y, int x, int lw, const struct ui_field *f, int focused);
void ui_wipe(void *p, size_t n);

/* A form: fields one under another, Up/Down/Tab move, Enter on the last
   field or F10 submits. submit returns 1 when done, 0 to stay (it sets the
   message). Returns 1 when submitted, 0 on Esc / unwind. */
typedef int (*ui_submit_fn)(struct kiosk *k, struct ui_field *f, size_t n, void *arg);
int ui_form(struct kiosk *k, const char *title, const char *intro, struct ui_field *f, size_t n,
            ui_submit_fn submit, void *arg);

/* A scrolling list of prepared rows. */
struct ui_list {
    char **rows;
    size_t n, cap;
    size_t sel, top;
};
void ui_list_add(struct ui_list *l, const char *row);
void ui_list_clear(struct ui_list *l);
void ui_list_free(struct ui_list *l);
void ui_list_draw(struct ui_list *l, int y, int h, int focused);
int ui_list_key(struct ui_list *l, int key, int h); /* 1: consumed */

/* A read-only text page (receipt, report); lines split at '\n'. */
struct ui_text {
    char *buf;
    size_t len;
    size_t top;
};
void ui_text_set(struct ui_text *t, char *buf, size_t len); /* takes buf */
void ui_text_free(struct ui_text *t);
void ui_text_draw(const struct ui_text *t, int y, int x, int h, int w);
int ui_text_key(struct ui_text *t, int key, int h); /* 1: consumed */
size_t ui_text_lines(const struct ui_text *t);

/* "Are you sure?" on the message line: 1 on Enter/F10, 0 on Esc. */
int ui_confirm(struct kiosk *k, const char *question);
/* Show a message and wait for any key (Enter/Esc). */
void ui_notice(struct kiosk *k, const char *title, const char *text);

/* ---- screens ------------------------------------------------------------ */
int screen_passphrase(struct kiosk *k);       /* login.c: 1 unlocked      */
void screen_start(struct kiosk *k);           /* login.c                  */
int screen_login(struct kiosk *k);            /* login.c: 1 logged in     */
void screen_lock(struct kiosk *k);            /* login.c: idle lock       */
void screen_logout(struct kiosk *k);          /* login.c                  */
void screen_menu(struct kiosk *k);            /* main.c                   */
void screen_sale(struct kiosk *k);            /* sale.c                   */
void screen_receipts(struct kiosk *k);        /* receipts.c               */
void screen_shift_report(struct kiosk *k);    /* reports.c                */
void screen_day_report(struct kiosk *k);      /* reports.c                */
void screen_supervisor(struct kiosk *k);      /* supervisor.c             */

int kiosk_is_supervisor(const struct kiosk *k);

/* Render through a FILE* into a malloc'ed buffer (receipt, report text). */
typedef void (*ui_render_fn)(struct kiosk *k, const void *arg, FILE *out);
char *ui_render(struct kiosk *k, ui_render_fn fn, const void *arg, size_t *len);

/* Money and energy as text for the screen (the core's formatting). */
void ui_money(const struct kiosk *k, int64_t minor, char *buf, size_t cap); /* "50.00 ZAR" */
void ui_energy(uint64_t wh, char *buf, size_t cap);                         /* "28.9 kWh" */
void ui_time(int64_t t, char *buf, size_t cap);                             /* local "2026-11-24 13:45" */
void ui_percent(uint32_t bp, char *buf, size_t cap);                        /* "15.00%" */

#endif
