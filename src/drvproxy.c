/* drvproxy.c — the proxy descriptor: driver calls sent to a host process. */
#include "drvproxy.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drvhost.h"
#include "drvproto.h"
#include "typeindex.h"

struct proxy {
    struct uv_driver desc; /* what call sites see; first, so dctx == &desc */
    const char *codes[UV_TYPE_CODES_MAX + 1];
    struct uv_ctx *ctx;
    struct uv_loaded *l;
    char path[4096], file[128];
    uint8_t sha256[32];
    pid_t pid;          /* 0: no child runs (the next call starts one) */
    int fd;
    uint32_t seq;
    char last_error[UV_TEXT_MAX + 1];
    char stopped[512];  /* why the last call got no answer              */
    char text[UV_TEXT_MAX + 1];
    uint8_t buf[DRVP_FRAME_MAX + 4];
};

static const char *ms_text(int ms, char *buf, size_t cap)
{
    if (ms % 1000 == 0)
        snprintf(buf, cap, "%d s", ms / 1000);
    else
        snprintf(buf, cap, "%d ms", ms);
    return buf;
}

/* Reap the child: give one that is ending a moment, then kill it. */
static int reap(pid_t pid, int kill_now)
{
    int wst = 0;
    if (!kill_now) {
        for (int i = 0; i < 100; i++) {
            pid_t r = waitpid(pid, &wst, WNOHANG);
            if (r == pid)
                return wst;
            if (r < 0 && errno != EINTR)
                return 0;
            usleep(2000);
        }
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    return wst;
}

enum why { W_TIMEOUT, W_DIED, W_GARBAGE, W_CLOSE };

/* Stop the child and say why; returns DRVPROXY_E_STOPPED. */
static int stop(struct proxy *p, enum why why)
{
    if (p->pid <= 0)
        return DRVPROXY_E_STOPPED;
    close(p->fd);
    p->fd = -1;
    int wst = reap(p->pid, why != W_DIED);
    p->pid = 0;
    char t[32];
    const char *name = p->l->info.name;
    switch (why) {
    case W_TIMEOUT:
        snprintf(p->stopped, sizeof p->stopped, "driver %s did not answer within %s and was stopped",
                 name, ms_text(typeindex_time_limit_ms(), t, sizeof t));
        break;
    case W_GARBAGE:
        snprintf(p->stopped, sizeof p->stopped,
                 "driver %s sent a malformed answer and was stopped", name);
        break;
    case W_DIED:
        if (WIFSIGNALED(wst))
            snprintf(p->stopped, sizeof p->stopped, "driver %s crashed (%s) and was stopped",
                     name, strsignal(WTERMSIG(wst)));
        else
            snprintf(p->stopped, sizeof p->stopped,
                     "driver %s ended its process (exit status %d) and was stopped", name,
                     WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
        break;
    case W_CLOSE:
        break;
    }
    p->last_error[0] = '\0';
    if (why != W_CLOSE)
        fprintf(p->ctx->log ? p->ctx->log : stderr, "univend: %s\n", p->stopped);
    return DRVPROXY_E_STOPPED;
}

/* univend and its driver hosts take turns, they never run at once: on one
   CPU a call is a hand-over between two processes rather than the wake-up
   of another, idle CPU (make bench: ~17 us against ~65 us a round trip on
   a 2-core virtual machine). Pins univend to the CPU it is on; its hosts
   inherit it. Best effort: where a cpuset forbids it, nothing changes. */
static void share_one_cpu(void)
{
    int cpu = sched_getcpu();
    cpu_set_t set;
    if (cpu < 0 || getenv("UNIVEND_DRIVER_ANY_CPU"))
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
}

/* Fork the host process and read its hello. */
static uv_status spawn(struct proxy *p, struct uv_driver_info *info, struct uv_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return uv_fail(err, UVS_IO, "cannot start the host process of driver %s: %s", p->file,
                       strerror(errno));
    fflush(NULL);
    share_one_cpu();
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return uv_fail(err, UVS_IO, "cannot start the host process of driver %s: %s", p->file,
                       strerror(e));
    }
    if (pid == 0) {
        close(sv[0]);
        drvhost_run(p->ctx, sv[1], parent, p->path, p->file, p->sha256);
    }
    close(sv[1]);
    p->fd = sv[0];
    p->pid = pid;
    int limit = typeindex_time_limit_ms();
    long n = drvp_recv(p->fd, p->buf, drvp_now_ms() + limit);
    struct drvp_r r;
    uint8_t sha[32];
    size_t shalen = 0;
    char msg[512];
    if (n < 0 || drvp_open(&r, p->buf, (size_t)n) != 0 || r.type != DRVP_HELLO) {
        char t[32];
        stop(p, n == -2 ? W_TIMEOUT : n == -1 ? W_DIED : W_GARBAGE);
        if (n == -2)
            return uv_fail(err, UVS_DRIVER, "%s: driver hung while loading (no answer in %s); "
                                            "refused", p->file, ms_text(limit, t, sizeof t));
        return uv_fail(err, UVS_DRIVER, "%s: driver failed while loading (%s); refused", p->file,
                       p->stopped);
    }
    uv_status st = (uv_status)drvp_get_u32(&r);
    drvp_get_text(&r, msg, sizeof msg);
    drvp_get_bytes(&r, sha, sizeof sha, &shalen);
    if (st == UVS_OK)
        drvp_get_info(&r, info);
    if (drvp_done(&r) != 0 || shalen != 32 || st > UVS_NOMEM) {
        stop(p, W_GARBAGE);
        return uv_fail(err, UVS_DRIVER, "%s: %s; refused", p->file, p->stopped);
    }
    if (st != UVS_OK) {
        stop(p, W_CLOSE);
        return uv_fail(err, st, "%s", msg);
    }
    if (memcmp(sha, p->sha256, 32) != 0) {
        stop(p, W_CLOSE);
        return uv_fail(err, UVS_REFUSED, "driver file %s changed while loading; refused",
                       p->file);
    }
    return UVS_OK;
}

/* A card channel request of the child, served by univend's own card
   channel (the readers are univend's). Every field is checked; a card_wait
   gets no more than what is left of the call's time. 0, or -1 when the
   request is malformed or the answer cannot be sent. */
static int serve_card(struct proxy *p, struct drvp_r *r, int64_t deadline)
{
    uint8_t op = drvp_get_u8(r);
    uint32_t slot = drvp_get_u32(r), a1 = drvp_get_u32(r), a2 = drvp_get_u32(r);
    uint32_t cap = drvp_get_u32(r);
    uint8_t cmd[UV_APDU_MAX], out[DRVP_CARD_MAX];
    size_t cmd_len = 0, out_len = 0;
    drvp_get_bytes(r, cmd, sizeof cmd, &cmd_len);
    if (drvp_done(r) != 0 || op < DRVP_CARD_READERS || op > DRVP_CARD_DISCONNECT || a1 > 1)
        return -1;
    if (cap > sizeof out)
        cap = sizeof out;
    const struct uv_host_services *s = &p->ctx->svc;
    void *host = p->ctx;
    int rc = UV_E_UNSUPPORTED;
    int64_t left = deadline - drvp_now_ms();
    switch (op) {
    case DRVP_CARD_READERS:
        if (s->card_readers)
            rc = s->card_readers(host, (char *)out, cap, &out_len);
        break;
    case DRVP_CARD_WAIT:
        if (s->card_wait)
            rc = s->card_wait(host, slot, (int)a1,
                              left <= 0 ? 0 : a2 < (uint64_t)left ? a2 : (uint32_t)left);
        break;
    case DRVP_CARD_CONNECT:
        if (s->card_connect)
            rc = s->card_connect(host, slot);
        break;
    case DRVP_CARD_ATR:
        if (s->card_atr)
            rc = s->card_atr(host, slot, out, cap, &out_len);
        break;
    case DRVP_CARD_TRANSMIT:
        if (s->card_transmit)
            rc = s->card_transmit(host, slot, cmd, cmd_len, out, cap, &out_len);
        break;
    case DRVP_CARD_DISCONNECT:
        if (s->card_disconnect)
            rc = s->card_disconnect(host, slot, (int)a1);
        break;
    }
    struct drvp_w w;
    drvp_begin(&w, p->buf, DRVP_CARD_REPLY, p->seq);
    drvp_put_u32(&w, (uint32_t)rc);
    drvp_put_u64(&w, out_len);
    drvp_put_bytes(&w, out, rc == UV_OK && out_len <= cap ? out_len : 0);
    return drvp_send(p->fd, p->buf, drvp_end(&w));
}

/* A call: the frame in p->buf is sent; key requests and log lines are
   served until the answer comes, all within the time limit (less the time
   univend spent looking keys up). */
static int roundtrip(struct proxy *p, struct drvp_w *w, uint8_t type, void *out)
{
    size_t n = drvp_end(w);
    if (n == 0) {
        snprintf(p->last_error, sizeof p->last_error,
                 "the call cannot be passed to the driver (a text too long or with control "
                 "characters)");
        return UV_E_ARG;
    }
    int64_t deadline = drvp_now_ms() + typeindex_time_limit_ms();
    if (drvp_send(p->fd, p->buf, n) != 0)
        return stop(p, W_DIED);
    for (;;) {
        long len = drvp_recv(p->fd, p->buf, deadline);
        if (len < 0)
            return stop(p, len == -2 ? W_TIMEOUT : W_DIED);
        struct drvp_r r;
        if (drvp_open(&r, p->buf, (size_t)len) != 0 || r.seq != p->seq)
            return stop(p, W_GARBAGE);
        if (r.type == DRVP_LOG) {
            int level = (int)drvp_get_u32(&r);
            const char *m = drvp_get_str(&r, DRVP_LOG_MAX);
            if (drvp_done(&r) != 0)
                return stop(p, W_GARBAGE);
            char line[DRVP_LOG_MAX + 64];
            snprintf(line, sizeof line, "%s: %s", p->l->info.name, m ? m : "");
            p->ctx->svc.log(p->ctx, level, line);
            continue;
        }
        if (r.type == DRVP_CARD_REQ) {
            if (serve_card(p, &r, deadline) != 0)
                return stop(p, W_GARBAGE);
            continue;
        }
        if (r.type == DRVP_KEY_REQ) {
            char ref[DRVP_STR_MAX + 1];
            drvp_get_text(&r, ref, sizeof ref);
            int want = drvp_get_u8(&r);
            uint64_t cap = drvp_get_u64(&r);
            if (drvp_done(&r) != 0 || want > 1)
                return stop(p, W_GARBAGE);
            uint8_t key[DRVP_KEY_MAX];
            size_t klen = 0;
            int64_t t0 = drvp_now_ms();
            int rc = p->ctx->svc.key_get(p->ctx, ref, want ? key : NULL,
                                         cap < sizeof key ? (size_t)cap : sizeof key, &klen);
            deadline += drvp_now_ms() - t0; /* a passphrase typed is not the driver's time */
            if (rc == UV_OK && klen > sizeof key)
                rc = UV_E_KEY_INVALID;
            struct drvp_w kw;
            drvp_begin(&kw, p->buf, DRVP_KEY_REPLY, p->seq);
            drvp_put_u32(&kw, (uint32_t)rc);
            drvp_put_u64(&kw, rc == UV_OK ? klen : 0);
            drvp_put_bytes(&kw, key, rc == UV_OK && want ? klen : 0);
            size_t kn = drvp_end(&kw);
            int sent = drvp_send(p->fd, p->buf, kn);
            explicit_bzero(key, sizeof key);
            explicit_bzero(p->buf, kn ? kn : 4);
            if (sent != 0)
                return stop(p, W_DIED);
            continue;
        }
        int rc;
        if (drvp_decode_reply(p->buf, (size_t)len, type, p->seq, &rc,
                              type == DRVP_STRERROR ? p->text : p->last_error, out) != 0)
            return stop(p, W_GARBAGE);
        return rc;
    }
}

/* Begin a call: a child runs (started if need be), the frame is opened. */
static int begin(struct proxy *p, struct drvp_w *w, uint8_t type)
{
    if (p->pid <= 0) {
        struct uv_driver_info info;
        struct uv_error e = {0};
        if (spawn(p, &info, &e) != UVS_OK) {
            snprintf(p->stopped, sizeof p->stopped, "driver %s could not be restarted: %.400s",
                     p->l->info.name, e.message);
            return DRVPROXY_E_STOPPED;
        }
        if (memcmp(&info, &p->l->info, sizeof info) != 0) {
            stop(p, W_GARBAGE);
            snprintf(p->stopped, sizeof p->stopped,
                     "driver %s described itself differently when restarted; stopped",
                     p->l->info.name);
            return DRVPROXY_E_STOPPED;
        }
    }
    p->last_error[0] = '\0';
    drvp_begin(w, p->buf, type, ++p->seq);
    /* the guarded clock's correction as it is now (a supervisor may have
       set it since the child started): the driver's svc->now uses it */
    drvp_put_u64(w, (uint64_t)p->ctx->clock_offset);
    return UV_OK;
}

static uint32_t out_size(const void *out)
{
    uint32_t ss = 0;
    if (out)
        memcpy(&ss, out, sizeof ss);
    return ss;
}

/* ---- the proxy's slots ---------------------------------------------------- */

static int px_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct proxy *p = ctx;
    struct drvp_w w;
    int rc = begin(p, &w, DRVP_VERIFY);
    if (rc != UV_OK)
        return rc;
    drvp_put_meter(&w, meter);
    drvp_put_u32(&w, out_size(info));
    return roundtrip(p, &w, DRVP_VERIFY, info);
}

static int px_read_medium(void *ctx, struct uv_medium_info *info)
{
    struct proxy *p = ctx;
    struct drvp_w w;
    int rc = begin(p, &w, DRVP_READ_MEDIUM);
    if (rc != UV_OK)
        return rc;
    drvp_put_u32(&w, out_size(info));
    return roundtrip(p, &w, DRVP_READ_MEDIUM, info);
}

static int px_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct proxy *p = ctx;
    struct drvp_w w;
    if (req && req->struct_size < sizeof *req)
        return UV_E_ARG;
    int rc = begin(p, &w, DRVP_ISSUE_CREDIT);
    if (rc != UV_OK)
        return rc;
    drvp_put_meter(&w, meter);
    drvp_put_u8(&w, req != NULL);
    drvp_put_u32(&w, req ? req->kind : 0);
    drvp_put_u64(&w, req ? req->amount : 0);
    drvp_put_u64(&w, req ? req->sequence : 0);
    drvp_put_u32(&w, out_size(out));
    return roundtrip(p, &w, DRVP_ISSUE_CREDIT, out);
}

static int px_issue_mgmt(void *ctx, const struct uv_meter *meter,
                         const struct uv_mgmt_request *req, struct uv_issue_result *out)
{
    struct proxy *p = ctx;
    struct drvp_w w;
    if (req && req->struct_size < sizeof *req)
        return UV_E_ARG;
    int rc = begin(p, &w, DRVP_ISSUE_MGMT);
    if (rc != UV_OK)
        return rc;
    drvp_put_meter(&w, meter);
    drvp_put_u8(&w, req != NULL);
    drvp_put_u32(&w, req ? req->op : 0);
    drvp_put_u64(&w, req ? req->arg : 0);
    drvp_put_params(&w, req ? req->params : NULL, req ? req->n_params : 0);
    drvp_put_u32(&w, out_size(out));
    return roundtrip(p, &w, DRVP_ISSUE_MGMT, out);
}

static int px_decode_token(void *ctx, const struct uv_meter *meter, const char *token,
                           struct uv_token_info *out)
{
    struct proxy *p = ctx;
    struct drvp_w w;
    int rc = begin(p, &w, DRVP_DECODE);
    if (rc != UV_OK)
        return rc;
    drvp_put_meter(&w, meter);
    drvp_put_str(&w, token);
    drvp_put_u32(&w, out_size(out));
    return roundtrip(p, &w, DRVP_DECODE, out);
}

static const char *px_last_error(void *ctx)
{
    return ((struct proxy *)ctx)->last_error;
}

/* The descriptor's strerror has no context: it knows only the standard
   codes' meaning; drvproxy_strerror() asks the driver. */
static const char *px_strerror(int rc)
{
    return rc == UV_OK ? "success" : rc == DRVPROXY_E_STOPPED ? "driver stopped" : "driver error";
}

static int px_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    (void)svc;
    (void)host;
    (void)config;
    (void)n_config;
    (void)ctx;
    return UV_E_UNSUPPORTED; /* opened in the host process at start */
}

static int px_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    return UV_E_UNSUPPORTED; /* run by the loader's probe, in a child */
}

static void px_close(void *ctx)
{
    struct proxy *p = ctx;
    if (p->pid > 0) {
        struct drvp_w w;
        drvp_begin(&w, p->buf, DRVP_BYE, ++p->seq);
        (void)drvp_send(p->fd, p->buf, drvp_end(&w));
        close(p->fd);
        reap(p->pid, 0);
    }
    explicit_bzero(p->buf, sizeof p->buf);
    free(p);
}

const char *drvproxy_strerror(struct uv_loaded *l, int rc)
{
    struct proxy *p = l->dctx;
    if (p == NULL)
        return "driver not open";
    if (rc == DRVPROXY_E_STOPPED)
        return p->stopped;
    char keep[sizeof p->last_error];
    memcpy(keep, p->last_error, sizeof keep); /* the failed call's detail */
    struct drvp_w w;
    int r = begin(p, &w, DRVP_STRERROR);
    if (r == UV_OK) {
        drvp_put_u32(&w, (uint32_t)rc);
        r = roundtrip(p, &w, DRVP_STRERROR, NULL);
    }
    memcpy(p->last_error, keep, sizeof keep);
    if (r != UV_OK)
        snprintf(p->text, sizeof p->text, "error %d (%.200s)", rc, p->stopped);
    return p->text;
}

long drvproxy_pid(const struct uv_loaded *l)
{
    const struct proxy *p = l->dctx;
    return p ? (long)p->pid : 0;
}

uv_status drvproxy_start(struct uv_ctx *ctx, const char *path, const char *file,
                         const uint8_t sha256[32], struct uv_loaded *l)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    struct proxy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    if (snprintf(p->path, sizeof p->path, "%s", path) >= (int)sizeof p->path ||
        snprintf(p->file, sizeof p->file, "%s", file) >= (int)sizeof p->file) {
        free(p);
        return uv_fail(&ctx->err, UVS_INPUT, "driver path is too long");
    }
    p->ctx = ctx;
    p->l = l;
    p->fd = -1;
    memcpy(p->sha256, sha256, 32);
    snprintf(l->file, sizeof l->file, "%s", file);
    snprintf(l->info.name, sizeof l->info.name, "%s", file); /* until it says its name */
    uv_status st = spawn(p, &l->info, &ctx->err);
    if (st != UVS_OK) {
        free(p);
        memset(l, 0, sizeof *l);
        l->fd = -1;
        return st;
    }
    memcpy(l->sha256, sha256, 32);
    const struct uv_driver_info *in = &l->info;
    struct uv_driver *d = &p->desc;
    d->magic = UV_DRIVER_MAGIC;
    d->abi_major = (uint16_t)in->abi_major;
    d->abi_minor = (uint16_t)in->abi_minor;
    d->struct_size = sizeof *d;
    d->name = in->name;
    d->vendor = in->vendor;
    d->version = in->version;
    d->description = in->description;
    d->media = in->media;
    for (unsigned i = 0; i < in->n_codes; i++)
        p->codes[i] = in->codes[i];
    d->type_codes = p->codes;
    d->open = px_open;
    d->close = px_close;
    d->verify = px_verify;
    d->read_medium = in->has_read_medium ? px_read_medium : NULL;
    d->issue_credit = px_issue_credit;
    d->issue_mgmt = in->has_mgmt ? px_issue_mgmt : NULL;
    d->decode_token = in->has_decode ? px_decode_token : NULL;
    d->strerror = px_strerror;
    d->last_error = px_last_error;
    d->self_test = px_self_test;
    l->desc = d;
    l->dctx = p;
    return UVS_OK;
}
