/*
 * cardchan.h — the card channel on PC/SC (pcsc-lite): what drivers reach
 * through the card services of the host services table (ABI 1.2), by slot.
 *
 * Each slot (UV_SLOT_USER, UV_SLOT_SAM) is bound to the PC/SC reader whose
 * name starts with the name configured in univend.conf (card_reader,
 * sam_reader). The PC/SC context is established lazily, on the first call,
 * by the process that makes it, and forgotten (never used, never released)
 * by a process that finds it was established by another one: a PC/SC
 * context must not cross a fork. Everything lives in struct uv_cardchan
 * (inside struct uv_ctx); there is no global state.
 *
 * Every call returns a uv_rc: UV_OK, UV_E_MEDIUM_ABSENT (no card, or it was
 * removed), UV_E_MEDIUM_IO (pcscd not running, reader gone, transmission
 * failed), UV_E_RETRY (a wait timed out), UV_E_ARG, UV_E_BUFFER_TOO_SMALL,
 * UV_E_UNSUPPORTED (the slot has no reader configured). The words for the
 * clerk of the last failure are in cardchan_detail().
 */
#ifndef UV_CARDCHAN_H
#define UV_CARDCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UV_CARD_SLOTS 2
#define UV_READER_NAME_MAX 128

struct uv_card_slot {
    char want[UV_READER_NAME_MAX];   /* configured name (prefix); "" = not fitted */
    char reader[UV_READER_NAME_MAX]; /* the PC/SC reader it matched, once found */
    long handle;                     /* SCARDHANDLE while connected            */
    unsigned long protocol;          /* SCARD_PROTOCOL_T0 or _T1               */
    int connected;
};

struct uv_cardchan {
    long pcsc;   /* SCARDCONTEXT; valid only in the process `pid`       */
    pid_t pid;   /* the process that established it; 0 = not yet      */
    struct uv_card_slot slot[UV_CARD_SLOTS];
    char detail[320]; /* what the last failure was, for the clerk     */
};

/* Bind the slots to their configured reader names (either may be ""). */
void cardchan_init(struct uv_cardchan *c, const char *card_reader, const char *sam_reader);
/* Is any slot bound to a reader? */
int cardchan_configured(const struct uv_cardchan *c);
/* Disconnect every slot and release the context (if this process owns it). */
void cardchan_close(struct uv_cardchan *c);

/* The six services, as drivers see them (drivers/univend_driver.h). */
int cardchan_readers(struct uv_cardchan *c, char *buf, size_t cap, size_t *len);
int cardchan_wait(struct uv_cardchan *c, uint32_t slot, int present, uint32_t timeout_ms);
int cardchan_connect(struct uv_cardchan *c, uint32_t slot);
int cardchan_atr(struct uv_cardchan *c, uint32_t slot, uint8_t *atr, size_t cap, size_t *len);
int cardchan_transmit(struct uv_cardchan *c, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *resp, size_t resp_cap, size_t *resp_len);
int cardchan_disconnect(struct uv_cardchan *c, uint32_t slot, int reset);

/* The last failure in words ("" when none). */
const char *cardchan_detail(const struct uv_cardchan *c);
/* A PC/SC return code as a uv_rc, and its words for the clerk. */
int cardchan_map_pcsc(long rv, const char **text);

#endif
