/*
 * cpu_driver.h — inside the CPU card driver: its context, and the calls its
 * files make on each other (cpu_apdu.c: the card channel; cpu_keys.c: MACs
 * from the key store or the SAM; cpucard_driver.c: the driver operations).
 */
#ifndef UV_CPU_DRIVER_H
#define UV_CPU_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "../univend_driver.h"
#include "cpu_layout.h"

#define CPU_REF_MAX 64

/* open() settings. */
struct cpu_cfg {
    int alg;                          /* CK_*                              */
    int sam;                          /* keys = sam                        */
    char card_ref[CPU_REF_MAX];       /* keys = store: card master key     */
    char meter_ref[CPU_REF_MAX];      /*               meter master key    */
    unsigned card_slot, meter_slot;   /* keys = sam: SAM key slots         */
};

/* What verify() found on the card in front of the kiosk; issue_credit()
   and issue_mgmt() write only to a card verified on this connection. */
struct cpu_session {
    int verified;
    struct cpu_id id;
    struct cpu_purchase p;
    struct cpu_return r;
    int have_return;        /* r is the meter's, MAC checked              */
    uint32_t ret_shadow;    /* return counter to keep in the state        */
};

struct cpu_ctx {
    const struct uv_host_services *svc;
    void *host;
    struct cpu_cfg cfg;
    int armed;                        /* read_medium() found a card of ...  */
    char armed_meter[CPU_TEXT_LEN];   /* ... this meter in the reader        */
    struct cpu_session s;
    char last_error[256];
};

int cpu_fail(struct cpu_ctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- cpu_apdu.c ---------------------------------------------------------- */
/* The host offers the card channel. */
int cpu_has_channel(const struct uv_host_services *svc);
/* One APDU to a slot: the response data (without SW1 SW2) into data
   (capacity cap, may be NULL with cap 0), its length and the status word.
   UV_OK or the channel's error, with last_error set. */
int cpu_xfer(struct cpu_ctx *c, uint32_t slot, const uint8_t *cmd, size_t len, uint8_t *data,
             size_t cap, size_t *n, unsigned *sw);
/* Connect to the customer's card and select the application:
   UV_E_UNSUPPORTED when the card has no such application. */
int cpu_open_app(struct cpu_ctx *c);
/* READ BINARY of a whole EF by SFI: exactly len bytes. */
int cpu_read_ef(struct cpu_ctx *c, unsigned sfi, uint8_t *buf, size_t len);
/* GET CHALLENGE: RND.ICC. */
int cpu_get_challenge(struct cpu_ctx *c, uint8_t rnd[CPU_RND_LEN]);
/* Hex text of bytes. */
void cpu_hex(const uint8_t *b, size_t n, char *out, size_t cap);

/* ---- cpu_keys.c ---------------------------------------------------------- */
enum { CPU_KEY_CARD = 0, CPU_KEY_METER = 1 };
/* CMAC8 of msg under the card key (div = card serial) or the meter key (div =
   meter number), from the key store or the SAM as configured. */
int cpu_mac8(struct cpu_ctx *c, int which, const uint8_t *div, size_t div_len,
             const uint8_t *msg, size_t len, uint8_t out[CPU_MAC_LEN]);
/* keys = store: both master keys are in the key store, 16 bytes each (the
   check of a meter without its card); keys = sam: UV_OK (the SAM is
   checked when a card is). */
int cpu_keys_present(struct cpu_ctx *c);
/* keys = sam: the SAM answers and holds MAC keys of the configured alg in
   both slots. */
int cpu_sam_check(struct cpu_ctx *c);
/* Known answers of the primitives and of the derivation. UV_OK or UV_E_SELFTEST. */
int cpu_crypto_self_test(void);

#endif
