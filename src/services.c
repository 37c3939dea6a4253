/* services.c — what the host offers drivers: log, clock, random, keys, wipe, cards. */
#include "services.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void svc_log(void *host, int level, const char *message)
{
    struct uv_ctx *ctx = host;
    if (level <= UV_LOG_WARN || ctx->verbose)
        fprintf(ctx->log ? ctx->log : stderr, "driver: %s\n", message ? message : "");
}

/* the host's guarded clock (clock.h): token ids are made from it */
static int64_t svc_now(void *host)
{
    return clock_now(host);
}

static int svc_random(void *host, void *buf, size_t len)
{
    (void)host;
    if (buf == NULL && len)
        return UV_E_ARG;
    gcry_randomize(buf, len, GCRY_STRONG_RANDOM);
    return UV_OK;
}

static void svc_wipe(void *buf, size_t len)
{
    if (buf)
        explicit_bzero(buf, len);
}

static int svc_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    struct uv_ctx *ctx = host;
    struct uv_error e = {0};
    if (ref == NULL || len == NULL)
        return UV_E_ARG;
    if (!keystore_unlocked(&ctx->keys) && services_unlock_keys(ctx) != UVS_OK)
        return UV_E_KEY_MISSING;
    size_t need = 0;
    uv_status st = keystore_get(&ctx->keys, &ctx->store, ref, NULL, 0, &need, &e);
    if (st == UVS_NOTFOUND)
        return UV_E_KEY_MISSING;
    if (st != UVS_OK)
        return UV_E_KEY_INVALID;
    *len = need;
    if (buf == NULL)
        return UV_OK;
    if (cap < need)
        return UV_E_BUFFER_TOO_SMALL;
    st = keystore_get(&ctx->keys, &ctx->store, ref, buf, cap, len, &e);
    return st == UVS_OK ? UV_OK : UV_E_KEY_INVALID;
}

/* The card channel (src/cardchan.c), for drivers. */
static int svc_card_readers(void *host, char *buf, size_t cap, size_t *len)
{
    return cardchan_readers(&((struct uv_ctx *)host)->cards, buf, cap, len);
}

static int svc_card_wait(void *host, uint32_t slot, int present, uint32_t timeout_ms)
{
    return cardchan_wait(&((struct uv_ctx *)host)->cards, slot, present, timeout_ms);
}

static int svc_card_connect(void *host, uint32_t slot)
{
    return cardchan_connect(&((struct uv_ctx *)host)->cards, slot);
}

static int svc_card_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    return cardchan_atr(&((struct uv_ctx *)host)->cards, slot, atr, cap, len);
}

static int svc_card_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                             uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    return cardchan_transmit(&((struct uv_ctx *)host)->cards, slot, cmd, cmd_len, resp, resp_cap,
                             resp_len);
}

static int svc_card_disconnect(void *host, uint32_t slot, int reset)
{
    return cardchan_disconnect(&((struct uv_ctx *)host)->cards, slot, reset);
}

void services_init(struct uv_ctx *ctx)
{
    memset(&ctx->svc, 0, sizeof ctx->svc);
    ctx->svc.struct_size = sizeof ctx->svc;
    ctx->svc.abi_major = UV_ABI_MAJOR;
    ctx->svc.abi_minor = UV_ABI_MINOR;
    ctx->svc.log = svc_log;
    ctx->svc.now = svc_now;
    ctx->svc.random = svc_random;
    ctx->svc.key_get = svc_key_get;
    ctx->svc.wipe = svc_wipe;
    cardchan_close(&ctx->cards);
    cardchan_init(&ctx->cards, ctx->cfg.card_reader, ctx->cfg.sam_reader);
    if (cardchan_configured(&ctx->cards)) {
        ctx->svc.card_readers = svc_card_readers;
        ctx->svc.card_wait = svc_card_wait;
        ctx->svc.card_connect = svc_card_connect;
        ctx->svc.card_atr = svc_card_atr;
        ctx->svc.card_transmit = svc_card_transmit;
        ctx->svc.card_disconnect = svc_card_disconnect;
    }
}

static uv_status read_file_line(const char *path, char *buf, size_t cap, struct uv_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(err, UVS_KEY, "cannot read the passphrase file %s: %s", path,
                       strerror(errno));
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return uv_fail(err, UVS_KEY, "the passphrase file %s is empty", path);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return UVS_OK;
}

uv_status services_read_passphrase(struct uv_ctx *ctx, const char *prompt, char *buf, size_t cap)
{
    const char *pf = ctx->cfg.passphrase_file;
    if (pf[0]) {
        char path[8192];
        if (pf[0] == '/')
            snprintf(path, sizeof path, "%s", pf);
        else
            snprintf(path, sizeof path, "%s/%s", ctx->home, pf);
        return read_file_line(path, buf, cap, &ctx->err);
    }
    return services_ask_secret(ctx, "UNIVEND_PASSPHRASE", prompt, buf, cap);
}

uv_status services_ask_secret(struct uv_ctx *ctx, const char *env_name, const char *prompt,
                              char *buf, size_t cap)
{
    const char *env = getenv(env_name);
    if (env) {
        if (strlen(env) >= cap)
            return uv_fail(&ctx->err, UVS_INPUT, "%s is too long", env_name);
        strcpy(buf, env);
        return UVS_OK;
    }
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_KEY,
                       "no terminal to ask '%s' on (set %s%s)", prompt, env_name,
                       strcmp(env_name, "UNIVEND_PASSPHRASE") == 0
                           ? " or passphrase_file in univend.conf"
                           : "");
    struct termios old, quiet;
    int have_tty = tcgetattr(fd, &old) == 0;
    if (have_tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) { /* best effort */
    }
    size_t n = 0;
    char c;
    while (n + 1 < cap && read(fd, &c, 1) == 1 && c != '\n')
        buf[n++] = c;
    buf[n] = '\0';
    if (have_tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
    }
    close(fd);
    return UVS_OK;
}

uv_status services_unlock_keys(struct uv_ctx *ctx)
{
    char pass[256];
    if (keystore_unlocked(&ctx->keys))
        return UVS_OK;
    uv_status st = services_read_passphrase(ctx, "Key store passphrase: ", pass, sizeof pass);
    if (st == UVS_OK)
        st = keystore_unlock(&ctx->keys, &ctx->store, pass, &ctx->err);
    explicit_bzero(pass, sizeof pass);
    return st;
}
