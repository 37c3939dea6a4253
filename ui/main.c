/*
 * main.c — univend-kiosk: the clerk's full-screen program.
 *
 *   univend-kiosk [--home DIR]
 *
 * The home directory is --home, else $UNIVEND_HOME, else /var/lib/univend.
 * Environment (all optional):
 *   UNIVEND_PASSPHRASE         key store passphrase (else passphrase_file,
 *                              else a passphrase screen)
 *   UNIVEND_IDLE_LOCK_SECONDS  idle lock after this many seconds instead of
 *                              idle_lock_minutes (for tests and demos)
 *   UNIVEND_KIOSK_TIMING       append timing lines to this file:
 *                              "EVENT MONOTONIC_NS REALTIME_NS" for the events
 *                              start, first_screen, confirm, token
 *
 * Hardening: Ctrl-C, Ctrl-Z, Ctrl-\ (and SIGINT, SIGQUIT, SIGTSTP) are
 * ignored, Ctrl-S/Ctrl-Q do not freeze output, nothing ever starts a shell;
 * SIGTERM and SIGHUP leave through the normal close path. Diagnostics that
 * would go to stderr (driver and database messages) go to HOME/kiosk.log
 * while the screen is up.
 */
#include "kiosk.h"

#include <fcntl.h>
#include <gcrypt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clerks.h"
#include "i18n.h"
#include "services.h"

struct menu_item {
    char key;
    enum msg label;
    void (*run)(struct kiosk *k);
    int supervisor;
};

static const struct menu_item menu_items[] = {
    {'1', M_MENU_SALE, screen_sale, 0},
    {'2', M_MENU_RECEIPTS, screen_receipts, 0},
    {'3', M_MENU_SHIFT, screen_shift_report, 0},
    {'4', M_MENU_DAY, screen_day_report, 1},
    {'5', M_MENU_SUPERVISOR, screen_supervisor, 1},
    {'0', M_MENU_LOGOUT, NULL, 0},
};
#define N_MENU (sizeof menu_items / sizeof menu_items[0])

void screen_menu(struct kiosk *k)
{
    size_t sel = 0;
    for (;;) {
        if (k->unwind == UNWIND_MENU)
            k->unwind = UNWIND_NONE; /* another clerk now: this menu is theirs */
        if (k->unwind || !k->logged_in)
            return;
        const struct menu_item *items[N_MENU];
        size_t n = 0;
        for (size_t i = 0; i < N_MENU; i++)
            if (!menu_items[i].supervisor || kiosk_is_supervisor(k))
                items[n++] = &menu_items[i];
        if (sel >= n)
            sel = 0;
        ui_frame(k, tr(M_MENU_TITLE), tr(M_HELP_MENU));
        char line[256];
        trf(line, sizeof line, M_MENU_HELLO, k->clerk.name[0] ? k->clerk.name : k->clerk.id,
            tr(kiosk_is_supervisor(k) ? M_ROLE_SUPERVISOR : M_ROLE_CLERK), NULL);
        int y = ui_top();
        ui_put(y, 2, 76, A_BOLD, line);
        y += 2;
        for (size_t i = 0; i < n; i++) {
            char row[160];
            snprintf(row, sizeof row, " %c  %s ", items[i]->key, tr(items[i]->label));
            attr_t a = i == sel ? A_REVERSE : A_NORMAL;
            ui_put(y + 2 * (int)i, 6, 60, a, row);
        }
        ui_refresh(k);
        int c = ui_key(k);
        if (c == K_UNWIND || c == K_REDRAW)
            continue;
        const struct menu_item *chosen = NULL;
        if (c == K_FN(KEY_UP)) {
            sel = sel ? sel - 1 : n - 1;
        } else if (c == K_FN(KEY_DOWN) || c == K_TAB) {
            sel = (sel + 1) % n;
        } else if (c == K_ENTER) {
            chosen = items[sel];
        } else {
            for (size_t i = 0; i < n; i++)
                if (c == items[i]->key) {
                    chosen = items[i];
                    sel = i;
                }
        }
        if (chosen == NULL)
            continue;
        if (chosen->run == NULL) { /* log out */
            screen_logout(k);
            return;
        }
        chosen->run(k);
    }
}

static void usage(FILE *out)
{
    fputs("usage: univend-kiosk [--home DIR]\n"
          "  The clerk's full-screen kiosk. DIR: --home, else $UNIVEND_HOME, else\n"
          "  /var/lib/univend. See docs/kiosk.md.\n",
          out);
}

int main(int argc, char **argv)
{
    static struct uv_ctx ctx; /* large; one per process */
    static struct kiosk k;
    const char *home = getenv("UNIVEND_HOME");

    setlocale(LC_ALL, "");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
            home = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return UVS_USAGE;
        }
    }
    if (!gcry_check_version(GCRYPT_VERSION)) {
        fprintf(stderr, "univend-kiosk: libgcrypt version mismatch\n");
        return 1;
    }
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

    ui_signals();
    k.ctx = &ctx;
    const char *tf = getenv("UNIVEND_KIOSK_TIMING");
    if (tf && *tf)
        k.timing = fopen(tf, "ae");
    ui_mark(&k, "start");
    uv_ctx_init(&ctx, home && *home ? home : "/var/lib/univend", "kiosk");
    ctx.role = UV_ROLE_NOBODY; /* a kiosk session: rights come only from a login */
    const char *cs = nl_langinfo(CODESET);
    k.utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);

    uv_status st = uv_ctx_open(&ctx);
    i18n_set(ctx.cfg.language, k.utf8);
    if (st != UVS_OK) {
        k.exit_status = (int)st;
        ui_start(&k);
        ui_fatal(&k, ctx.err.message);
    }
    const char *idle_s = getenv("UNIVEND_IDLE_LOCK_SECONDS");
    k.idle_limit = ctx.cfg.idle_lock_minutes * 60u;
    if (idle_s && *idle_s) {
        char *end;
        unsigned long v = strtoul(idle_s, &end, 10);
        if (*end == '\0' && v <= 86400)
            k.idle_limit = (unsigned)v;
    }
    /* The key store: from passphrase_file or the environment before the
       screen starts (services may read them); otherwise a passphrase screen. */
    if (ctx.cfg.passphrase_file[0] || getenv("UNIVEND_PASSPHRASE")) {
        st = services_unlock_keys(&ctx);
        if (st != UVS_OK) {
            k.exit_status = (int)st;
            ui_start(&k);
            ui_fatal(&k, ctx.err.message);
        }
    }
    /* Driver and database diagnostics must not scribble on the screen. */
    if (isatty(STDERR_FILENO)) {
        char path[8192];
        snprintf(path, sizeof path, "%s/kiosk.log", ctx.home);
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        setvbuf(stderr, NULL, _IOLBF, 0);
    }

    ui_start(&k);
    if (!keystore_unlocked(&ctx.keys))
        screen_passphrase(&k);
    if (!k.unwind)
        screen_start(&k);
    while (!k.unwind) {
        if (!screen_login(&k)) {
            if (!k.unwind)
                screen_start(&k);
            continue;
        }
        screen_menu(&k);
    }
    screen_logout(&k);
    ui_stop(&k);
    uv_ctx_close(&ctx);
    if (k.timing)
        fclose(k.timing);
    return 0;
}
