/*
 * drvproto.h — the framed protocol between univend and a driver host process.
 *
 * A frame is a 4-byte big-endian body length (DRVP_HDR..DRVP_FRAME_MAX)
 * followed by the body: version (1 byte), type (1 byte), sequence number
 * (4 bytes, big endian), then the fields of that type in a fixed order.
 * Fields: integers big endian; strings as a 4-byte length that counts a
 * terminating NUL which is also sent (0 = NULL), so a decoded string can
 * point into the received frame; byte strings as a 4-byte length and bytes.
 *
 * Every call's fields start with the guarded clock's offset (i64, clock.h),
 * so the driver's svc->now in the child is the kiosk's time of that call.
 *
 * The parent sends one call (DRVP_VERIFY..DRVP_STRERROR) and reads frames
 * until the answer (type | DRVP_REPLY, same sequence number); meanwhile the
 * child may ask for a key (DRVP_KEY_REQ, answered by DRVP_KEY_REPLY), use
 * the card channel (DRVP_CARD_REQ, answered by DRVP_CARD_REPLY: univend owns
 * the readers, so a card connection lasts across the calls of a sale and
 * across drivers, as the ABI says) or log (DRVP_LOG, not answered). Every decoder checks every length against its
 * destination and every string for control characters: the parent trusts
 * nothing the child says.
 */
#ifndef UV_DRVPROTO_H
#define UV_DRVPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "../drivers/univend_driver.h"
#include "loader.h"

#define DRVP_VERSION 1u
#define DRVP_HDR 6u                 /* version, type, sequence          */
#define DRVP_FRAME_MAX (64u * 1024) /* largest body either side sends   */
#define DRVP_PARAMS_MAX 64u         /* parameters in one meter/request  */
#define DRVP_STR_MAX 1024u          /* one parameter name or value      */
#define DRVP_KEY_MAX 4096u          /* one key handed to a driver       */
#define DRVP_LOG_MAX 1024u          /* one log line from a driver       */
#define DRVP_CARD_MAX 4096u         /* bytes one card service returns   */

/* The card channel services, as DRVP_CARD_REQ carries them: op, slot, two
   arguments (card_wait: present, timeout_ms; card_disconnect: reset), the
   capacity the driver gave and its command bytes (card_transmit). The reply:
   rc, the length the service set, the bytes it wrote. */
enum drvp_card_op {
    DRVP_CARD_READERS = 1,
    DRVP_CARD_WAIT = 2,
    DRVP_CARD_CONNECT = 3,
    DRVP_CARD_ATR = 4,
    DRVP_CARD_TRANSMIT = 5,
    DRVP_CARD_DISCONNECT = 6
};

enum drvp_type {
    DRVP_HELLO = 1,       /* child: loaded and opened (or why not)        */
    DRVP_VERIFY = 2,      /* parent: the driver calls ...                 */
    DRVP_READ_MEDIUM = 3,
    DRVP_ISSUE_CREDIT = 4,
    DRVP_ISSUE_MGMT = 5,
    DRVP_DECODE = 6,
    DRVP_STRERROR = 7,
    DRVP_KEY_REQ = 0x10,  /* child: svc->key_get                          */
    DRVP_KEY_REPLY = 0x11,
    DRVP_LOG = 0x12,      /* child: svc->log                              */
    DRVP_CARD_REQ = 0x13, /* child: a card channel service (1.2)          */
    DRVP_CARD_REPLY = 0x14,
    DRVP_BYE = 0x1F,      /* parent: close the driver and exit            */
    DRVP_REPLY = 0x80     /* or'ed into a call's type for its answer      */
};

/* Building a body. A write that does not fit sets bad; the frame is then
   not sent. */
struct drvp_w {
    uint8_t *buf; /* DRVP_FRAME_MAX + 4 bytes, the length prefix first */
    size_t len;   /* bytes of the body so far                          */
    int bad;
};
void drvp_begin(struct drvp_w *w, uint8_t *buf, uint8_t type, uint32_t seq);
void drvp_put_u8(struct drvp_w *w, uint8_t v);
void drvp_put_u32(struct drvp_w *w, uint32_t v);
void drvp_put_u64(struct drvp_w *w, uint64_t v);
void drvp_put_bytes(struct drvp_w *w, const void *p, size_t n);
void drvp_put_str(struct drvp_w *w, const char *s); /* NULL allowed */
/* The whole frame (prefix + body) to send, or 0 when bad. */
size_t drvp_end(struct drvp_w *w);

/* Reading a body. A read past the end or of a bad field sets bad and
   returns zeros; the caller checks bad once at the end. */
struct drvp_r {
    const uint8_t *p;
    size_t len, pos;
    int bad;
    uint8_t type;
    uint32_t seq;
};
/* Start on a received body: checks the version. 0 or -1. */
int drvp_open(struct drvp_r *r, const uint8_t *body, size_t len);
uint8_t drvp_get_u8(struct drvp_r *r);
uint32_t drvp_get_u32(struct drvp_r *r);
uint64_t drvp_get_u64(struct drvp_r *r);
/* A string of at most max bytes before its NUL, no control characters;
   points into the body; NULL when sent as NULL (or bad). */
const char *drvp_get_str(struct drvp_r *r, size_t max);
/* A string into dst[cap] (must fit with its NUL; NULL arrives as ""). */
void drvp_get_text(struct drvp_r *r, char *dst, size_t cap);
/* Bytes into dst[cap]; sets *n. */
void drvp_get_bytes(struct drvp_r *r, void *dst, size_t cap, size_t *n);
/* Everything read and nothing bad: 0, else -1. */
int drvp_done(const struct drvp_r *r);

/* ---- the structures a call carries ------------------------------------ */

/* A meter (NULL allowed). */
void drvp_put_meter(struct drvp_w *w, const struct uv_meter *m);
/* Decoded meter: strings point into the body. present = 0 for NULL. */
struct drvp_meter {
    int present;
    struct uv_meter m;
    struct uv_param params[DRVP_PARAMS_MAX];
    uint8_t state[UV_STATE_MAX];
};
void drvp_get_meter(struct drvp_r *r, struct drvp_meter *out);

void drvp_put_params(struct drvp_w *w, const struct uv_param *p, size_t n);
void drvp_get_params(struct drvp_r *r, struct uv_param *p, size_t cap, size_t *n);

void drvp_put_issue(struct drvp_w *w, const struct uv_issue_result *res);
void drvp_get_issue(struct drvp_r *r, struct uv_issue_result *res);
void drvp_put_medium(struct drvp_w *w, const struct uv_medium_info *mi);
void drvp_get_medium(struct drvp_r *r, struct uv_medium_info *mi);
void drvp_put_token(struct drvp_w *w, const struct uv_token_info *ti);
void drvp_get_token(struct drvp_r *r, struct uv_token_info *ti);
/* What the loader learned of the driver; the decoder applies the loader's
   own rules (printable names, valid and distinct type codes, ATR sizes). */
void drvp_put_info(struct drvp_w *w, const struct uv_driver_info *info);
void drvp_get_info(struct drvp_r *r, struct uv_driver_info *info);

/* The answer to a call, as the parent decodes it from a child's frame.
   which: the call's type; out: the caller's output of that call (or NULL);
   last_error: cap UV_TEXT_MAX + 1. 0, or -1 when the frame is not a
   well-formed answer of that call (the child is then stopped). */
int drvp_decode_reply(const uint8_t *body, size_t len, uint8_t which, uint32_t seq, int *rc,
                      char *last_error, void *out);

/* ---- moving frames ------------------------------------------------------ */

/* Send a whole frame (from drvp_end); 0 or -1. Never raises SIGPIPE. */
int drvp_send(int fd, const uint8_t *frame, size_t n);
/* Receive one body into buf (DRVP_FRAME_MAX bytes) before deadline_ms
   (CLOCK_MONOTONIC milliseconds, or -1: no limit). Returns the body length,
   or -1 on a broken or closed channel or malformed length, -2 when time ran
   out. */
long drvp_recv(int fd, uint8_t *buf, int64_t deadline_ms);
int64_t drvp_now_ms(void);

#endif
