/* drvproto.c — encoding, decoding and moving the driver host's frames. */
#include "drvproto.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- writing ------------------------------------------------------------ */

static void put_raw(struct drvp_w *w, const void *p, size_t n)
{
    if (w->bad || n > DRVP_FRAME_MAX - w->len) {
        w->bad = 1;
        return;
    }
    if (n)
        memcpy(w->buf + 4 + w->len, p, n);
    w->len += n;
}

void drvp_put_u8(struct drvp_w *w, uint8_t v)
{
    put_raw(w, &v, 1);
}

void drvp_put_u32(struct drvp_w *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put_raw(w, b, 4);
}

void drvp_put_u64(struct drvp_w *w, uint64_t v)
{
    drvp_put_u32(w, (uint32_t)(v >> 32));
    drvp_put_u32(w, (uint32_t)v);
}

void drvp_begin(struct drvp_w *w, uint8_t *buf, uint8_t type, uint32_t seq)
{
    w->buf = buf;
    w->len = 0;
    w->bad = 0;
    drvp_put_u8(w, DRVP_VERSION);
    drvp_put_u8(w, type);
    drvp_put_u32(w, seq);
}

void drvp_put_bytes(struct drvp_w *w, const void *p, size_t n)
{
    if (n > DRVP_FRAME_MAX || (n && p == NULL)) {
        w->bad = 1;
        return;
    }
    drvp_put_u32(w, (uint32_t)n);
    put_raw(w, p, n);
}

static int text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

void drvp_put_str(struct drvp_w *w, const char *s)
{
    if (s == NULL) {
        drvp_put_u32(w, 0);
        return;
    }
    size_t n = strnlen(s, DRVP_FRAME_MAX);
    if (n == DRVP_FRAME_MAX || !text_ok(s, n)) {
        w->bad = 1;
        return;
    }
    drvp_put_u32(w, (uint32_t)(n + 1));
    put_raw(w, s, n + 1);
}

size_t drvp_end(struct drvp_w *w)
{
    if (w->bad)
        return 0;
    uint32_t n = (uint32_t)w->len;
    w->buf[0] = (uint8_t)(n >> 24);
    w->buf[1] = (uint8_t)(n >> 16);
    w->buf[2] = (uint8_t)(n >> 8);
    w->buf[3] = (uint8_t)n;
    return w->len + 4;
}

/* ---- reading ------------------------------------------------------------ */

static const uint8_t *get_raw(struct drvp_r *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t drvp_get_u8(struct drvp_r *r)
{
    const uint8_t *p = get_raw(r, 1);
    return p ? p[0] : 0;
}

uint32_t drvp_get_u32(struct drvp_r *r)
{
    const uint8_t *p = get_raw(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t drvp_get_u64(struct drvp_r *r)
{
    uint64_t hi = drvp_get_u32(r);
    return hi << 32 | drvp_get_u32(r);
}

int drvp_open(struct drvp_r *r, const uint8_t *body, size_t len)
{
    r->p = body;
    r->len = len;
    r->pos = 0;
    r->bad = 0;
    if (len < DRVP_HDR || len > DRVP_FRAME_MAX) {
        r->bad = 1;
        return -1;
    }
    uint8_t v = drvp_get_u8(r);
    r->type = drvp_get_u8(r);
    r->seq = drvp_get_u32(r);
    if (v != DRVP_VERSION)
        r->bad = 1;
    return r->bad ? -1 : 0;
}

const char *drvp_get_str(struct drvp_r *r, size_t max)
{
    uint32_t n = drvp_get_u32(r);
    if (r->bad || n == 0)
        return NULL;
    if (n - 1 > max) {
        r->bad = 1;
        return NULL;
    }
    const char *s = (const char *)get_raw(r, n);
    if (s == NULL || s[n - 1] != '\0' || strlen(s) != n - 1 || !text_ok(s, n - 1)) {
        r->bad = 1;
        return NULL;
    }
    return s;
}

void drvp_get_text(struct drvp_r *r, char *dst, size_t cap)
{
    const char *s = drvp_get_str(r, cap - 1);
    snprintf(dst, cap, "%s", s ? s : "");
}

void drvp_get_bytes(struct drvp_r *r, void *dst, size_t cap, size_t *n)
{
    uint32_t len = drvp_get_u32(r);
    *n = 0;
    if (len > cap) {
        r->bad = 1;
        return;
    }
    const uint8_t *p = get_raw(r, len);
    if (p == NULL)
        return;
    if (len)
        memcpy(dst, p, len);
    *n = len;
}

int drvp_done(const struct drvp_r *r)
{
    return r->bad || r->pos != r->len ? -1 : 0;
}

/* ---- structures --------------------------------------------------------- */

void drvp_put_params(struct drvp_w *w, const struct uv_param *p, size_t n)
{
    if (n > DRVP_PARAMS_MAX || (n && p == NULL)) {
        w->bad = 1;
        return;
    }
    drvp_put_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        drvp_put_str(w, p[i].name);
        drvp_put_str(w, p[i].value);
    }
}

void drvp_get_params(struct drvp_r *r, struct uv_param *p, size_t cap, size_t *n)
{
    uint32_t k = drvp_get_u32(r);
    *n = 0;
    if (k > cap) {
        r->bad = 1;
        return;
    }
    for (uint32_t i = 0; i < k && !r->bad; i++) {
        p[i].name = drvp_get_str(r, DRVP_STR_MAX);
        p[i].value = drvp_get_str(r, DRVP_STR_MAX);
    }
    if (!r->bad)
        *n = k;
}

void drvp_put_meter(struct drvp_w *w, const struct uv_meter *m)
{
    if (m == NULL) {
        drvp_put_u8(w, 0);
        return;
    }
    if (m->struct_size < sizeof *m || m->state_len > UV_STATE_MAX) {
        w->bad = 1;
        return;
    }
    drvp_put_u8(w, 1);
    drvp_put_str(w, m->number);
    drvp_put_str(w, m->type_code);
    drvp_put_params(w, m->params, m->n_params);
    drvp_put_bytes(w, m->state, m->state_len);
}

void drvp_get_meter(struct drvp_r *r, struct drvp_meter *out)
{
    memset(&out->m, 0, sizeof out->m);
    out->present = drvp_get_u8(r) != 0;
    if (!out->present)
        return;
    out->m.struct_size = sizeof out->m;
    out->m.number = drvp_get_str(r, DRVP_STR_MAX);
    out->m.type_code = drvp_get_str(r, DRVP_STR_MAX);
    drvp_get_params(r, out->params, DRVP_PARAMS_MAX, &out->m.n_params);
    out->m.params = out->params;
    drvp_get_bytes(r, out->state, sizeof out->state, &out->m.state_len);
    out->m.state = out->m.state_len ? out->state : NULL;
}

static void put_field(struct drvp_w *w, const char *f, size_t cap);

void drvp_put_issue(struct drvp_w *w, const struct uv_issue_result *res)
{
    if (res->n_tokens > UV_TOKENS_MAX || res->state_len > UV_STATE_MAX) {
        w->bad = 1; /* not a result this protocol can carry */
        return;
    }
    for (uint32_t i = 0; i < res->n_tokens; i++)
        if (memchr(res->tokens[i], '\0', sizeof res->tokens[i]) == NULL)
            w->bad = 1;
    if (memchr(res->token_id, '\0', sizeof res->token_id) == NULL)
        w->bad = 1;
    drvp_put_u32(w, res->n_tokens);
    for (uint32_t i = 0; i < res->n_tokens; i++)
        put_field(w, res->tokens[i], sizeof res->tokens[i] - 1);
    drvp_put_u64(w, res->amount_issued);
    drvp_put_u32(w, res->medium_written);
    put_field(w, res->token_id, sizeof res->token_id - 1);
    drvp_put_bytes(w, res->state, res->state_len);
}

void drvp_get_issue(struct drvp_r *r, struct uv_issue_result *res)
{
    uint32_t n = drvp_get_u32(r);
    if (n > UV_TOKENS_MAX) {
        r->bad = 1;
        return;
    }
    res->n_tokens = n;
    for (uint32_t i = 0; i < n; i++)
        drvp_get_text(r, res->tokens[i], sizeof res->tokens[i]);
    res->amount_issued = drvp_get_u64(r);
    res->medium_written = drvp_get_u32(r);
    if (res->medium_written > 1)
        r->bad = 1;
    drvp_get_text(r, res->token_id, sizeof res->token_id);
    drvp_get_bytes(r, res->state, sizeof res->state, &res->state_len);
}

/* A fixed text field of a driver's output, which it may not have ended:
   at most cap bytes, control characters shown as '?'. */
static void put_field(struct drvp_w *w, const char *f, size_t cap)
{
    char t[UV_TEXT_MAX + 1];
    size_t n = strnlen(f, cap < sizeof t - 1 ? cap : sizeof t - 1);
    for (size_t i = 0; i < n; i++)
        t[i] = ((unsigned char)f[i] < 0x20 || f[i] == 0x7f) ? '?' : f[i];
    t[n] = '\0';
    drvp_put_str(w, t);
}

void drvp_put_medium(struct drvp_w *w, const struct uv_medium_info *mi)
{
    put_field(w, mi->meter_number, sizeof mi->meter_number - 1);
    put_field(w, mi->type_code, sizeof mi->type_code - 1);
    put_field(w, mi->summary, sizeof mi->summary - 1);
    put_field(w, mi->card_serial, sizeof mi->card_serial - 1);
    drvp_put_u64(w, mi->last_sequence);
    drvp_put_u64(w, mi->pending_amount);
    drvp_put_u32(w, mi->pending_kind);
    drvp_put_u32(w, mi->flags);
    drvp_put_u64(w, mi->meter_remaining);
    drvp_put_u32(w, mi->meter_tamper);
}

void drvp_get_medium(struct drvp_r *r, struct uv_medium_info *mi)
{
    drvp_get_text(r, mi->meter_number, sizeof mi->meter_number);
    drvp_get_text(r, mi->type_code, sizeof mi->type_code);
    drvp_get_text(r, mi->summary, sizeof mi->summary);
    drvp_get_text(r, mi->card_serial, sizeof mi->card_serial);
    mi->last_sequence = drvp_get_u64(r);
    mi->pending_amount = drvp_get_u64(r);
    mi->pending_kind = drvp_get_u32(r);
    mi->flags = drvp_get_u32(r);
    mi->meter_remaining = drvp_get_u64(r);
    mi->meter_tamper = drvp_get_u32(r);
}

void drvp_put_token(struct drvp_w *w, const struct uv_token_info *ti)
{
    drvp_put_u32(w, ti->token_class);
    drvp_put_u32(w, ti->subclass);
    drvp_put_u32(w, ti->kind);
    drvp_put_u64(w, ti->amount);
    drvp_put_u64(w, (uint64_t)ti->issued_at);
    put_field(w, ti->token_id, sizeof ti->token_id - 1);
    put_field(w, ti->description, sizeof ti->description - 1);
}

void drvp_get_token(struct drvp_r *r, struct uv_token_info *ti)
{
    ti->token_class = drvp_get_u32(r);
    ti->subclass = drvp_get_u32(r);
    ti->kind = drvp_get_u32(r);
    ti->amount = drvp_get_u64(r);
    ti->issued_at = (int64_t)drvp_get_u64(r);
    drvp_get_text(r, ti->token_id, sizeof ti->token_id);
    drvp_get_text(r, ti->description, sizeof ti->description);
}

void drvp_put_info(struct drvp_w *w, const struct uv_driver_info *info)
{
    drvp_put_str(w, info->name);
    drvp_put_str(w, info->vendor);
    drvp_put_str(w, info->version);
    drvp_put_str(w, info->description);
    drvp_put_u32(w, info->abi_major);
    drvp_put_u32(w, info->abi_minor);
    drvp_put_u32(w, info->media);
    drvp_put_u32(w, info->n_codes);
    for (unsigned i = 0; i < info->n_codes && i < UV_TYPE_CODES_MAX; i++)
        drvp_put_str(w, info->codes[i]);
    drvp_put_u8(w, (uint8_t)info->has_read_medium);
    drvp_put_u8(w, (uint8_t)info->has_mgmt);
    drvp_put_u8(w, (uint8_t)info->has_decode);
    drvp_put_u32(w, info->n_atr);
    for (unsigned i = 0; i < info->n_atr && i < UV_ATR_PATTERNS_MAX; i++) {
        drvp_put_bytes(w, info->atr[i].atr, info->atr[i].len);
        drvp_put_bytes(w, info->atr[i].mask, info->atr[i].len);
    }
}

static uint8_t get_flag(struct drvp_r *r)
{
    uint8_t v = drvp_get_u8(r);
    if (v > 1)
        r->bad = 1;
    return v;
}

void drvp_get_info(struct drvp_r *r, struct uv_driver_info *info)
{
    memset(info, 0, sizeof *info);
    drvp_get_text(r, info->name, sizeof info->name);
    drvp_get_text(r, info->vendor, sizeof info->vendor);
    drvp_get_text(r, info->version, sizeof info->version);
    drvp_get_text(r, info->description, sizeof info->description);
    info->abi_major = drvp_get_u32(r);
    info->abi_minor = drvp_get_u32(r);
    info->media = drvp_get_u32(r);
    uint32_t n = drvp_get_u32(r);
    if (info->name[0] == '\0' || info->abi_major != UV_ABI_MAJOR || info->media == 0 || n == 0 ||
        n > UV_TYPE_CODES_MAX) {
        r->bad = 1;
        return;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        drvp_get_text(r, info->codes[i], sizeof info->codes[i]);
        if (!loader_type_code_valid(info->codes[i]))
            r->bad = 1;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(info->codes[i], info->codes[j]) == 0)
                r->bad = 1;
    }
    info->n_codes = n;
    info->has_read_medium = get_flag(r);
    info->has_mgmt = get_flag(r);
    info->has_decode = get_flag(r);
    n = drvp_get_u32(r);
    if (n > UV_ATR_PATTERNS_MAX) {
        r->bad = 1;
        return;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        size_t la = 0, lm = 0;
        drvp_get_bytes(r, info->atr[i].atr, UV_ATR_MAX, &la);
        drvp_get_bytes(r, info->atr[i].mask, UV_ATR_MAX, &lm);
        if (la == 0 || la != lm)
            r->bad = 1;
        info->atr[i].len = (uint8_t)la;
    }
    info->n_atr = n;
}

int drvp_decode_reply(const uint8_t *body, size_t len, uint8_t which, uint32_t seq, int *rc,
                      char *last_error, void *out)
{
    struct drvp_r r;
    if (drvp_open(&r, body, len) != 0 || r.type != (which | DRVP_REPLY) || r.seq != seq)
        return -1;
    int32_t v = (int32_t)drvp_get_u32(&r);
    *rc = v < 0 ? UV_E_FAILED : v; /* negative codes are the host's own */
    drvp_get_text(&r, last_error, UV_TEXT_MAX + 1);
    union {
        struct uv_issue_result issue;
        struct uv_medium_info medium;
        struct uv_token_info token;
    } u;
    memset(&u, 0, sizeof u);
    size_t size = 0;
    switch (which) {
    case DRVP_VERIFY:
    case DRVP_READ_MEDIUM:
        drvp_get_medium(&r, &u.medium);
        size = sizeof u.medium;
        break;
    case DRVP_ISSUE_CREDIT:
    case DRVP_ISSUE_MGMT:
        drvp_get_issue(&r, &u.issue);
        size = sizeof u.issue;
        break;
    case DRVP_DECODE:
        drvp_get_token(&r, &u.token);
        size = sizeof u.token;
        break;
    case DRVP_STRERROR:
        break;
    default:
        return -1;
    }
    if (drvp_done(&r) != 0)
        return -1;
    if (out && size) {
        /* fill what the caller's structure holds, keeping its struct_size */
        uint32_t ss;
        memcpy(&ss, out, sizeof ss);
        size_t n = ss < size ? ss : size;
        memcpy(&u, &ss, sizeof ss);
        memcpy(out, &u, n);
    }
    return 0;
}

/* ---- moving frames ------------------------------------------------------ */

int64_t drvp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int drvp_send(int fd, const uint8_t *frame, size_t n)
{
    size_t done = 0;
    if (n == 0)
        return -1;
    while (done < n) {
        ssize_t w = send(fd, frame + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* n bytes before the deadline: 0, -1 broken/closed, -2 time ran out. */
static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    size_t got = 0;
    while (got < n) {
        if (deadline >= 0) {
            int64_t left = deadline - drvp_now_ms();
            if (left <= 0)
                return -2;
            struct pollfd pf = {.fd = fd, .events = POLLIN};
            int pr = poll(&pf, 1, (int)left);
            if (pr < 0 && errno == EINTR)
                continue;
            if (pr < 0)
                return -1;
            if (pr == 0)
                return -2;
        }
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

long drvp_recv(int fd, uint8_t *buf, int64_t deadline_ms)
{
    uint8_t h[4];
    int rc = recv_all(fd, h, 4, deadline_ms);
    if (rc != 0)
        return rc;
    uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n < DRVP_HDR || n > DRVP_FRAME_MAX)
        return -1;
    rc = recv_all(fd, buf, n, deadline_ms);
    return rc != 0 ? rc : (long)n;
}
