/* drvhost.c — the child process that runs one driver for univend. */
#include "drvhost.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "drvproto.h"

#define HOST_FD 3

struct uv_drvhost {
    struct uv_ctx *ctx; /* the forked copy: its services and clock offset */
    int fd;
    uint32_t seq; /* of the call being served: key requests carry it */
    uint8_t out[DRVP_FRAME_MAX + 4];
    uint8_t in[DRVP_FRAME_MAX];  /* the call: the driver's arguments point into it */
    uint8_t key[DRVP_FRAME_MAX]; /* a key reply, received while the call runs */
    /* A driver asks a key's length, then the key: the length question
       fetches the key too, kept here for the one question that follows
       within the same call and wiped then, or when the call ends. */
    char kc_ref[256];
    uint8_t kc[DRVP_KEY_MAX];
    size_t kc_len;
    int kc_have;
};

static void key_cache_wipe(struct uv_drvhost *h)
{
    if (h->kc_have)
        explicit_bzero(h->kc, sizeof h->kc);
    h->kc_have = 0;
    h->kc_len = 0;
    h->kc_ref[0] = '\0';
}

/* ---- cutting the child off from what it inherited ------------------------ */

static void null_fd(int target)
{
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0 && fd != target) {
        dup2(fd, target);
        close(fd);
    }
}

#if defined(__SANITIZE_ADDRESS__)
#define UV_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UV_UNDER_ASAN 1
#endif
#endif

static void isolate(struct uv_ctx *ctx, int sock, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the kiosk */
    if (getppid() != parent)
        _exit(1); /* the parent died before the line above */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core, no ptrace by others */
    if (sock != HOST_FD) {
        if (dup2(sock, HOST_FD) < 0)
            _exit(1);
        close(sock);
    }
    null_fd(STDIN_FILENO);
    null_fd(STDOUT_FILENO);
    if (getenv("UNIVEND_DRIVER_DEBUG") == NULL)
        null_fd(STDERR_FILENO);
    if (close_range(HOST_FD + 1, ~0u, 0) != 0)
        for (int fd = HOST_FD + 1; fd < 1024; fd++)
            close(fd);
    /* the forked copies of univend's state that a driver must not use */
    keystore_lock(&ctx->keys);
    memset(&ctx->store, 0, sizeof ctx->store);
    ctx->store_open = 0;
    ctx->n_loaded = 0; /* the other drivers' proxies: their sockets are closed */
    ctx->log = NULL;
    /* the store's environment is private (DB_PRIVATE): it lives in the heap,
       which fork() copied, so no shared region reaches the store; its files
       were closed above */
    struct rlimit core = {0, 0}, files = {64, 64};
    setrlimit(RLIMIT_CORE, &core);
    setrlimit(RLIMIT_NOFILE, &files);
#ifndef UV_UNDER_ASAN
    /* 1 GiB of address space (AddressSanitizer reserves terabytes of shadow) */
    struct rlimit as = {1ul << 30, 1ul << 30};
    if (getenv("UNIVEND_DRIVER_NO_AS_LIMIT") == NULL) /* valgrind needs its own room */
        setrlimit(RLIMIT_AS, &as);
#endif
}

/* ---- host services that cross the socket -------------------------------- */

static int send_out(struct uv_drvhost *h, struct drvp_w *w)
{
    size_t n = drvp_end(w);
    return n ? drvp_send(h->fd, h->out, n) : -1;
}

static void host_log(void *host, int level, const char *message)
{
    struct uv_ctx *ctx = host;
    struct uv_drvhost *h = ctx->drvhost;
    char line[DRVP_LOG_MAX + 1];
    size_t n = message ? strnlen(message, DRVP_LOG_MAX) : 0;
    for (size_t i = 0; i < n; i++)
        line[i] = ((unsigned char)message[i] < 0x20 || message[i] == 0x7f) ? ' ' : message[i];
    line[n] = '\0';
    struct drvp_w w;
    drvp_begin(&w, h->out, DRVP_LOG, h->seq);
    drvp_put_u32(&w, (uint32_t)level);
    drvp_put_str(&w, line);
    if (send_out(h, &w) != 0)
        _exit(1);
}

static int host_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    struct uv_ctx *ctx = host;
    struct uv_drvhost *h = ctx->drvhost;
    if (ref == NULL || len == NULL)
        return UV_E_ARG;
    if (buf != NULL && h->kc_have && strcmp(ref, h->kc_ref) == 0) {
        int rc = cap < h->kc_len ? UV_E_BUFFER_TOO_SMALL : UV_OK;
        *len = h->kc_len;
        if (rc == UV_OK)
            memcpy(buf, h->kc, h->kc_len);
        key_cache_wipe(h);
        return rc;
    }
    key_cache_wipe(h);
    /* a length question asks for the bytes as well (one round trip less) */
    int fetch = buf == NULL && strlen(ref) < sizeof h->kc_ref;
    struct drvp_w w;
    drvp_begin(&w, h->out, DRVP_KEY_REQ, h->seq);
    drvp_put_str(&w, ref);
    drvp_put_u8(&w, buf != NULL || fetch);
    drvp_put_u64(&w, fetch ? sizeof h->kc : cap);
    if (w.bad)
        return UV_E_ARG;
    if (send_out(h, &w) != 0)
        _exit(1);
    long n = drvp_recv(h->fd, h->key, -1);
    struct drvp_r r;
    if (n < 0 || drvp_open(&r, h->key, (size_t)n) != 0 || r.type != DRVP_KEY_REPLY ||
        r.seq != h->seq)
        _exit(1); /* univend went away or is not speaking to us */
    int rc = (int)drvp_get_u32(&r);
    uint64_t need = drvp_get_u64(&r);
    uint8_t key[DRVP_KEY_MAX];
    size_t got = 0;
    drvp_get_bytes(&r, key, sizeof key, &got);
    int bad = drvp_done(&r) != 0;
    explicit_bzero(h->key, (size_t)n);
    if (bad)
        _exit(1);
    if (rc == UV_OK && fetch && got == need) {
        *len = (size_t)need;
        memcpy(h->kc, key, got);
        h->kc_len = got;
        snprintf(h->kc_ref, sizeof h->kc_ref, "%s", ref);
        h->kc_have = 1;
    } else if (rc == UV_OK && fetch) {
        rc = UV_E_KEY_INVALID;
    } else if (rc == UV_OK) {
        *len = (size_t)need;
        if (buf && got != need)
            rc = UV_E_KEY_INVALID;
        else if (buf && cap < got)
            rc = UV_E_BUFFER_TOO_SMALL;
        else if (buf)
            memcpy(buf, key, got);
    }
    explicit_bzero(key, sizeof key);
    return rc;
}

/* The card channel: univend owns the readers, so each service is a
   request to it (a connection then lasts across calls and drivers). */
static int card_call(struct uv_ctx *ctx, uint8_t op, uint32_t slot, uint32_t a1, uint32_t a2,
                     const void *cmd, size_t cmd_len, void *out, size_t cap, size_t *out_len)
{
    struct uv_drvhost *h = ctx->drvhost;
    struct drvp_w w;
    drvp_begin(&w, h->out, DRVP_CARD_REQ, h->seq);
    drvp_put_u8(&w, op);
    drvp_put_u32(&w, slot);
    drvp_put_u32(&w, a1);
    drvp_put_u32(&w, a2);
    drvp_put_u32(&w, (uint32_t)(cap < DRVP_CARD_MAX ? cap : DRVP_CARD_MAX));
    if (cmd_len > UV_APDU_MAX)
        return UV_E_ARG;
    drvp_put_bytes(&w, cmd, cmd_len);
    if (w.bad)
        return UV_E_ARG;
    if (send_out(h, &w) != 0)
        _exit(1);
    long n = drvp_recv(h->fd, h->key, -1);
    struct drvp_r r;
    if (n < 0 || drvp_open(&r, h->key, (size_t)n) != 0 || r.type != DRVP_CARD_REPLY ||
        r.seq != h->seq)
        _exit(1);
    int rc = (int)drvp_get_u32(&r);
    uint64_t len = drvp_get_u64(&r);
    uint8_t buf[DRVP_CARD_MAX];
    size_t got = 0;
    drvp_get_bytes(&r, buf, sizeof buf, &got);
    if (drvp_done(&r) != 0 || got > cap)
        _exit(1);
    if (got)
        memcpy(out, buf, got);
    if (out_len)
        *out_len = (size_t)len;
    return rc;
}

static int host_card_readers(void *host, char *buf, size_t cap, size_t *len)
{
    if (len == NULL || (buf == NULL && cap))
        return UV_E_ARG;
    return card_call(host, DRVP_CARD_READERS, 0, 0, 0, NULL, 0, buf, cap, len);
}

static int host_card_wait(void *host, uint32_t slot, int present, uint32_t timeout_ms)
{
    return card_call(host, DRVP_CARD_WAIT, slot, present != 0, timeout_ms, NULL, 0, NULL, 0,
                     NULL);
}

static int host_card_connect(void *host, uint32_t slot)
{
    return card_call(host, DRVP_CARD_CONNECT, slot, 0, 0, NULL, 0, NULL, 0, NULL);
}

static int host_card_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    if (len == NULL || (atr == NULL && cap))
        return UV_E_ARG;
    return card_call(host, DRVP_CARD_ATR, slot, 0, 0, NULL, 0, atr, cap, len);
}

static int host_card_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    if (cmd == NULL || resp_len == NULL || (resp == NULL && resp_cap))
        return UV_E_ARG;
    return card_call(host, DRVP_CARD_TRANSMIT, slot, 0, 0, cmd, cmd_len, resp, resp_cap,
                     resp_len);
}

static int host_card_disconnect(void *host, uint32_t slot, int reset)
{
    return card_call(host, DRVP_CARD_DISCONNECT, slot, reset != 0, 0, NULL, 0, NULL, 0, NULL);
}

/* ---- serving calls -------------------------------------------------------- */

struct host_driver {
    struct uv_loaded l;
    struct uv_host_services svc;
};

static void last_error_of(const struct uv_loaded *l, char *dst)
{
    const char *e = l->desc->last_error(l->dctx);
    size_t n = e ? strnlen(e, UV_TEXT_MAX) : 0;
    for (size_t i = 0; i < n; i++)
        dst[i] = ((unsigned char)e[i] < 0x20 || e[i] == 0x7f) ? '?' : e[i];
    dst[n] = '\0';
}

/* A caller's output of size `size` as the driver sees it: struct_size as
   the caller said, storage always the full structure. */
static void *output(void *full, size_t full_size, uint32_t size)
{
    memset(full, 0, full_size);
    if (size == 0)
        return NULL;
    uint32_t ss = size;
    memcpy(full, &ss, sizeof ss);
    return full;
}

static void reply(struct uv_drvhost *h, struct host_driver *hd, uint8_t type, int rc,
                  const void *out)
{
    char le[UV_TEXT_MAX + 1];
    struct drvp_w w;
    last_error_of(&hd->l, le);
    for (int attempt = 0; attempt < 2; attempt++) {
        drvp_begin(&w, h->out, type | DRVP_REPLY, h->seq);
        drvp_put_u32(&w, (uint32_t)rc);
        drvp_put_str(&w, le);
        switch (type) {
        case DRVP_VERIFY:
        case DRVP_READ_MEDIUM:
            drvp_put_medium(&w, out);
            break;
        case DRVP_ISSUE_CREDIT:
        case DRVP_ISSUE_MGMT:
            drvp_put_issue(&w, out);
            break;
        case DRVP_DECODE:
            drvp_put_token(&w, out);
            break;
        default:
            break;
        }
        if (!w.bad)
            break;
        /* the driver's result cannot be carried: say so, with an empty one */
        static const union {
            struct uv_issue_result i;
            struct uv_medium_info m;
            struct uv_token_info t;
        } empty;
        rc = UV_E_FAILED;
        snprintf(le, sizeof le, "the driver returned a malformed result (too many tokens, "
                                "an unterminated text or too large a state)");
        out = &empty;
    }
    if (send_out(h, &w) != 0)
        _exit(1);
}

static void serve(struct uv_drvhost *h, struct host_driver *hd, struct drvp_r *r)
{
    const struct uv_driver *d = hd->l.desc;
    void *dctx = hd->l.dctx;
    struct drvp_meter m;
    union {
        struct uv_issue_result i;
        struct uv_medium_info m;
        struct uv_token_info t;
    } out;
    int rc = UV_E_UNSUPPORTED;
    void *o;
    h->ctx->clock_offset = (int64_t)drvp_get_u64(r); /* every call carries it */
    switch (r->type) {
    case DRVP_VERIFY:
        drvp_get_meter(r, &m);
        o = output(&out, sizeof out.m, drvp_get_u32(r));
        if (drvp_done(r) == 0)
            rc = d->verify(dctx, m.present ? &m.m : NULL, o);
        break;
    case DRVP_READ_MEDIUM:
        o = output(&out, sizeof out.m, drvp_get_u32(r));
        if (drvp_done(r) == 0 && d->read_medium)
            rc = d->read_medium(dctx, o);
        break;
    case DRVP_ISSUE_CREDIT: {
        struct uv_credit_request req = {sizeof req, 0, 0, 0};
        drvp_get_meter(r, &m);
        int has = drvp_get_u8(r);
        req.kind = drvp_get_u32(r);
        req.amount = drvp_get_u64(r);
        req.sequence = drvp_get_u64(r);
        o = output(&out, sizeof out.i, drvp_get_u32(r));
        if (drvp_done(r) == 0)
            rc = d->issue_credit(dctx, m.present ? &m.m : NULL, has ? &req : NULL, o);
        break;
    }
    case DRVP_ISSUE_MGMT: {
        struct uv_param ps[DRVP_PARAMS_MAX];
        struct uv_mgmt_request req = {sizeof req, 0, 0, ps, 0};
        drvp_get_meter(r, &m);
        int has = drvp_get_u8(r);
        req.op = drvp_get_u32(r);
        req.arg = drvp_get_u64(r);
        drvp_get_params(r, ps, DRVP_PARAMS_MAX, &req.n_params);
        o = output(&out, sizeof out.i, drvp_get_u32(r));
        if (drvp_done(r) == 0 && d->issue_mgmt)
            rc = d->issue_mgmt(dctx, m.present ? &m.m : NULL, has ? &req : NULL, o);
        break;
    }
    case DRVP_DECODE: {
        drvp_get_meter(r, &m);
        const char *token = drvp_get_str(r, DRVP_STR_MAX);
        o = output(&out, sizeof out.t, drvp_get_u32(r));
        if (drvp_done(r) == 0 && d->decode_token)
            rc = d->decode_token(dctx, m.present ? &m.m : NULL, token, o);
        break;
    }
    case DRVP_STRERROR: {
        int code = (int)drvp_get_u32(r);
        if (drvp_done(r) != 0)
            _exit(1);
        const char *t = d->strerror(code);
        char text[UV_TEXT_MAX + 1];
        size_t n = t ? strnlen(t, UV_TEXT_MAX) : 0;
        for (size_t i = 0; i < n; i++)
            text[i] = ((unsigned char)t[i] < 0x20 || t[i] == 0x7f) ? '?' : t[i];
        text[n] = '\0';
        struct drvp_w w;
        drvp_begin(&w, h->out, DRVP_STRERROR | DRVP_REPLY, h->seq);
        drvp_put_u32(&w, UV_OK);
        drvp_put_str(&w, text);
        if (send_out(h, &w) != 0)
            _exit(1);
        return;
    }
    default:
        _exit(1); /* univend does not send that: something is wrong */
    }
    if (r->bad)
        _exit(1);
    reply(h, hd, r->type, rc, &out);
    explicit_bzero(&out, sizeof out);
}

static void hello(struct uv_drvhost *h, uv_status st, const char *message,
                  const struct uv_loaded *l)
{
    struct drvp_w w;
    drvp_begin(&w, h->out, DRVP_HELLO, 0);
    drvp_put_u32(&w, (uint32_t)st);
    drvp_put_str(&w, message);
    drvp_put_bytes(&w, l->sha256, sizeof l->sha256);
    if (st == UVS_OK)
        drvp_put_info(&w, &l->info);
    if (send_out(h, &w) != 0 || st != UVS_OK)
        _exit(st == UVS_OK ? 1 : 0);
}

/* Open the driver's context with its driver.<name>.* options. */
static uv_status open_driver(struct uv_ctx *ctx, struct host_driver *hd, char *msg, size_t cap)
{
    struct uv_param cfg[UV_DRIVER_CONFIG_MAX];
    size_t n = 0;
    for (size_t i = 0; i < ctx->cfg.n_driver_opts && n < UV_DRIVER_CONFIG_MAX; i++) {
        if (strcmp(ctx->cfg.driver_opts[i].driver, hd->l.info.name) == 0) {
            cfg[n].name = ctx->cfg.driver_opts[i].name;
            cfg[n].value = ctx->cfg.driver_opts[i].value;
            n++;
        }
    }
    int rc = hd->l.desc->open(&hd->svc, ctx, cfg, n, &hd->l.dctx);
    if (rc != UV_OK || hd->l.dctx == NULL) {
        const char *t = hd->l.desc->strerror(rc);
        hd->l.dctx = NULL;
        snprintf(msg, cap, "driver %s would not open: %.200s", hd->l.info.name,
                 rc != UV_OK ? (t ? t : "error") : "no context returned");
        return UVS_DRIVER;
    }
    return UVS_OK;
}

void drvhost_run(struct uv_ctx *ctx, int sock, pid_t parent, const char *path, const char *file,
                 const uint8_t sha256[32])
{
    isolate(ctx, sock, parent);
    struct uv_drvhost *h = calloc(1, sizeof *h);
    struct host_driver *hd = calloc(1, sizeof *hd);
    if (h == NULL || hd == NULL)
        _exit(1);
    h->fd = HOST_FD;
    h->ctx = ctx;
    ctx->drvhost = h;
    struct uv_error e = {0};
    char msg[512];
    hd->l.fd = -1;
    /* the registered bytes or nothing: a file replaced since univend checked
       it is refused before its code runs (a restarted host reopens it) */
    uv_status st = loader_load_expecting(path, file, sha256, &hd->l, &e);
    if (st != UVS_OK)
        hello(h, st, e.message, &hd->l);
    char name[16];
    snprintf(name, sizeof name, "uv-drv-%.8s", hd->l.info.name);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    /* the host's services, with what needs univend itself sent over the
       socket: keys, log lines and (1.2) the card channel, whose readers
       univend holds; clock, randomness and wiping run here */
    hd->svc = ctx->svc;
    hd->svc.log = host_log;
    hd->svc.key_get = host_key_get;
    if (hd->svc.card_readers) { /* readers configured: univend serves the channel */
        hd->svc.card_readers = host_card_readers;
        hd->svc.card_wait = host_card_wait;
        hd->svc.card_connect = host_card_connect;
        hd->svc.card_atr = host_card_atr;
        hd->svc.card_transmit = host_card_transmit;
        hd->svc.card_disconnect = host_card_disconnect;
    }
    if ((st = open_driver(ctx, hd, msg, sizeof msg)) != UVS_OK)
        hello(h, st, msg, &hd->l);
    hello(h, UVS_OK, "", &hd->l);
    for (;;) {
        long n = drvp_recv(h->fd, h->in, -1);
        struct drvp_r r;
        if (n < 0)
            break; /* univend closed the socket: done */
        if (drvp_open(&r, h->in, (size_t)n) != 0 || r.type == DRVP_BYE)
            break;
        h->seq = r.seq;
        serve(h, hd, &r);
        key_cache_wipe(h);
        explicit_bzero(h->in, (size_t)n);
    }
    loader_unload(&hd->l); /* close() wipes the driver's keys */
    _exit(0);
}
