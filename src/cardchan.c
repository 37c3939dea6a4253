/* cardchan.c — the card channel on pcsc-lite. */
#include "cardchan.h"

#include <winscard.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../drivers/univend_driver.h"

_Static_assert(sizeof(SCARDCONTEXT) <= sizeof(long), "SCARDCONTEXT fits a long");
_Static_assert(sizeof(SCARDHANDLE) <= sizeof(long), "SCARDHANDLE fits a long");

/* After a transmission fails, how long to watch for the card being
   reported gone (pcscd polls a reader's slot a few times a second). */
#define GONE_WATCH_MS 1200

static const char *const slot_name[UV_CARD_SLOTS] = {"card", "SAM"};

void cardchan_init(struct uv_cardchan *c, const char *card_reader, const char *sam_reader)
{
    memset(c, 0, sizeof *c);
    snprintf(c->slot[UV_SLOT_USER].want, sizeof c->slot[0].want, "%s",
             card_reader ? card_reader : "");
    snprintf(c->slot[UV_SLOT_SAM].want, sizeof c->slot[0].want, "%s",
             sam_reader ? sam_reader : "");
}

int cardchan_configured(const struct uv_cardchan *c)
{
    return c->slot[UV_SLOT_USER].want[0] || c->slot[UV_SLOT_SAM].want[0];
}

const char *cardchan_detail(const struct uv_cardchan *c)
{
    return c->detail;
}

int cardchan_map_pcsc(long rv, const char **text)
{
    static const struct {
        long rv;
        int rc;
        const char *text;
    } map[] = {
        {SCARD_S_SUCCESS, UV_OK, ""},
        {SCARD_E_NO_SERVICE, UV_E_MEDIUM_IO,
         "the card service pcscd is not running (start it: systemctl start pcscd)"},
        {SCARD_E_SERVICE_STOPPED, UV_E_MEDIUM_IO, "the card service pcscd has stopped"},
        {SCARD_E_NO_READERS_AVAILABLE, UV_E_MEDIUM_IO, "no card reader is connected"},
        {SCARD_E_UNKNOWN_READER, UV_E_MEDIUM_IO, "the card reader is not connected"},
        {SCARD_E_READER_UNAVAILABLE, UV_E_MEDIUM_IO,
         "the card reader is unavailable (unplugged?)"},
        {SCARD_E_NO_SMARTCARD, UV_E_MEDIUM_ABSENT, "there is no card in the reader"},
        {SCARD_W_REMOVED_CARD, UV_E_MEDIUM_ABSENT, "the card was removed"},
        {SCARD_W_RESET_CARD, UV_E_MEDIUM_IO, "the card was reset by another program"},
        {SCARD_W_UNRESPONSIVE_CARD, UV_E_MEDIUM_IO,
         "the card does not answer (inserted the wrong way round?)"},
        {SCARD_W_UNPOWERED_CARD, UV_E_MEDIUM_IO, "the card has no power"},
        {SCARD_W_UNSUPPORTED_CARD, UV_E_MEDIUM_IO, "the reader cannot talk to this card"},
        {SCARD_E_SHARING_VIOLATION, UV_E_MEDIUM_IO, "another program is using the card"},
        {SCARD_E_PROTO_MISMATCH, UV_E_MEDIUM_IO, "the card speaks neither T=0 nor T=1"},
        {SCARD_E_NOT_TRANSACTED, UV_E_MEDIUM_IO, "the card stopped answering"},
        {SCARD_F_COMM_ERROR, UV_E_MEDIUM_IO, "communication with the reader failed"},
        {SCARD_E_TIMEOUT, UV_E_RETRY, "no card came in time"},
        {SCARD_E_INSUFFICIENT_BUFFER, UV_E_BUFFER_TOO_SMALL, "the answer is too long"},
        {SCARD_E_INVALID_HANDLE, UV_E_MEDIUM_IO, "the card connection was lost"},
        {SCARD_E_NO_MEMORY, UV_E_NOMEM, "out of memory"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].rv == rv) {
            *text = map[i].text;
            return map[i].rc;
        }
    *text = "the card reader failed";
    return UV_E_MEDIUM_IO;
}

/* Record a PC/SC failure in words and return its uv_rc. */
static int pcsc_fail(struct uv_cardchan *c, uint32_t slot, long rv, const char *doing)
{
    const char *text;
    int rc = cardchan_map_pcsc(rv, &text);
    const struct uv_card_slot *s = slot < UV_CARD_SLOTS ? &c->slot[slot] : NULL;
    snprintf(c->detail, sizeof c->detail, "%s%s%s%s: %s (PC/SC 0x%08lX)", doing,
             s ? " (" : "", s ? (s->reader[0] ? s->reader : s->want) : "", s ? ")" : "", text,
             (unsigned long)(uint32_t)rv);
    return rc;
}

static int fail_text(struct uv_cardchan *c, int rc, const char *text)
{
    snprintf(c->detail, sizeof c->detail, "%s", text);
    return rc;
}

/* A context established by the process we were forked from is not ours to
   use or release, and its card connections are not ours either. */
static void forget_if_forked(struct uv_cardchan *c)
{
    if (c->pid == 0 || c->pid == getpid())
        return;
    for (int i = 0; i < UV_CARD_SLOTS; i++) {
        c->slot[i].connected = 0;
        c->slot[i].handle = 0;
    }
    c->pid = 0;
}

/* The context of this process, established on first use. */
static int context(struct uv_cardchan *c)
{
    pid_t me = getpid();
    forget_if_forked(c);
    if (c->pid == me)
        return UV_OK;
    SCARDCONTEXT h = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &h);
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(c, UV_CARD_SLOTS, rv, "card readers");
    c->pcsc = (long)h;
    c->pid = me;
    return UV_OK;
}

void cardchan_close(struct uv_cardchan *c)
{
    forget_if_forked(c);
    if (c->pid == 0)
        return;
    for (int i = 0; i < UV_CARD_SLOTS; i++)
        if (c->slot[i].connected)
            SCardDisconnect((SCARDHANDLE)c->slot[i].handle, SCARD_RESET_CARD);
    SCardReleaseContext((SCARDCONTEXT)c->pcsc);
    for (int i = 0; i < UV_CARD_SLOTS; i++)
        c->slot[i].connected = 0;
    c->pid = 0;
}

/* The reader names, "a\0b\0\0"; *n bytes. An empty list when there are none. */
static int list(struct uv_cardchan *c, char *buf, DWORD cap, DWORD *n)
{
    int rc = context(c);
    if (rc != UV_OK)
        return rc;
    *n = cap;
    LONG rv = SCardListReaders((SCARDCONTEXT)c->pcsc, NULL, buf, n);
    if (rv == SCARD_E_NO_READERS_AVAILABLE && cap >= 2) {
        buf[0] = buf[1] = '\0';
        *n = 2;
        return UV_OK;
    }
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(c, UV_CARD_SLOTS, rv, "listing the card readers");
    return UV_OK;
}

int cardchan_readers(struct uv_cardchan *c, char *buf, size_t cap, size_t *len)
{
    char all[4096];
    DWORD n = 0;
    if (len == NULL || (buf == NULL && cap))
        return UV_E_ARG;
    int rc = list(c, all, sizeof all, &n);
    if (rc != UV_OK)
        return rc;
    /* pcsc-lite ends the list with one NUL after the last name's own */
    if (n < 2 || all[n - 1] != '\0')
        n = 2, all[0] = all[1] = '\0';
    if (n == 2 && all[0] == '\0')
        n = 1; /* no readers: just the empty name that ends the list */
    *len = n;
    if (buf == NULL || cap < n)
        return buf == NULL ? UV_OK : UV_E_BUFFER_TOO_SMALL;
    memcpy(buf, all, n);
    return UV_OK;
}

/* Bind the slot to the reader whose name starts with its configured name. */
static int resolve(struct uv_cardchan *c, uint32_t slot)
{
    if (slot >= UV_CARD_SLOTS)
        return fail_text(c, UV_E_UNSUPPORTED, "no such card slot");
    struct uv_card_slot *s = &c->slot[slot];
    if (s->want[0] == '\0')
        return fail_text(c, UV_E_UNSUPPORTED,
                         slot == UV_SLOT_SAM
                             ? "no SAM reader is configured: set sam_reader in univend.conf"
                             : "no card reader is configured: set card_reader in univend.conf "
                               "(univend card readers lists the readers)");
    char all[4096];
    DWORD n = 0;
    int rc = list(c, all, sizeof all, &n);
    if (rc != UV_OK)
        return rc;
    size_t wl = strlen(s->want);
    for (const char *p = all; p < all + n && *p; p += strlen(p) + 1)
        if (strncmp(p, s->want, wl) == 0 && strlen(p) < sizeof s->reader) {
            memcpy(s->reader, p, strlen(p) + 1);
            return UV_OK;
        }
    s->reader[0] = '\0';
    snprintf(c->detail, sizeof c->detail,
             "the %s reader \"%s\" is not connected (univend card readers lists those that are)",
             slot_name[slot], s->want);
    return UV_E_MEDIUM_IO;
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the reader shows a card (want = 1) or none (want = 0). */
static int wait_state(struct uv_cardchan *c, uint32_t slot, int want, uint32_t timeout_ms)
{
    SCARD_READERSTATE rs;
    memset(&rs, 0, sizeof rs);
    rs.szReader = c->slot[slot].reader;
    rs.dwCurrentState = SCARD_STATE_UNAWARE;
    int64_t deadline = ms_now() + timeout_ms;
    for (;;) {
        int64_t left = deadline - ms_now();
        /* the first call only reads the state: it returns at once */
        LONG rv = SCardGetStatusChange((SCARDCONTEXT)c->pcsc,
                                       rs.dwCurrentState == SCARD_STATE_UNAWARE ? 0
                                       : left > 0                             ? (DWORD)left
                                                                              : 0,
                                       &rs, 1);
        if (rv == SCARD_E_TIMEOUT)
            return fail_text(c, UV_E_RETRY, want ? "no card came in time"
                                                 : "the card was not taken out in time");
        if (rv != SCARD_S_SUCCESS)
            return pcsc_fail(c, slot, rv, "waiting for the card");
        DWORD st = rs.dwEventState;
        if (st & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE)) {
            c->slot[slot].reader[0] = '\0';
            return pcsc_fail(c, slot, SCARD_E_READER_UNAVAILABLE, "waiting for the card");
        }
        /* a mute card counts as present: connecting then says it does not answer */
        int present = (st & SCARD_STATE_PRESENT) != 0;
        if (present == want)
            return UV_OK;
        if (ms_now() >= deadline)
            return fail_text(c, UV_E_RETRY, want ? "no card came in time"
                                                 : "the card was not taken out in time");
        rs.dwCurrentState = st & ~(DWORD)SCARD_STATE_CHANGED;
    }
}

int cardchan_wait(struct uv_cardchan *c, uint32_t slot, int present, uint32_t timeout_ms)
{
    int rc = resolve(c, slot);
    if (rc != UV_OK)
        return rc;
    return wait_state(c, slot, present != 0, timeout_ms);
}

int cardchan_connect(struct uv_cardchan *c, uint32_t slot)
{
    int rc = context(c);
    if (rc != UV_OK)
        return rc;
    if (slot < UV_CARD_SLOTS && c->slot[slot].connected)
        return UV_OK;
    if ((rc = resolve(c, slot)) != UV_OK)
        return rc;
    struct uv_card_slot *s = &c->slot[slot];
    SCARDHANDLE h = 0;
    DWORD proto = 0;
    LONG rv = SCardConnect((SCARDCONTEXT)c->pcsc, s->reader, SCARD_SHARE_EXCLUSIVE,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(c, slot, rv, "connecting to the card");
    s->handle = (long)h;
    s->protocol = proto;
    s->connected = 1;
    return UV_OK;
}

/* The slot's connection made by this process (connected implies the
   context is this process's own). */
static struct uv_card_slot *connected(struct uv_cardchan *c, uint32_t slot, int *rc)
{
    *rc = UV_OK;
    forget_if_forked(c);
    if (slot >= UV_CARD_SLOTS) {
        *rc = fail_text(c, UV_E_UNSUPPORTED, "no such card slot");
        return NULL;
    }
    if (!c->slot[slot].connected) {
        *rc = fail_text(c, UV_E_MEDIUM_ABSENT, "the card is not connected");
        return NULL;
    }
    return &c->slot[slot];
}

int cardchan_atr(struct uv_cardchan *c, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    int rc;
    if (atr == NULL || len == NULL)
        return UV_E_ARG;
    struct uv_card_slot *s = connected(c, slot, &rc);
    if (s == NULL)
        return rc;
    BYTE buf[MAX_ATR_SIZE];
    DWORD n = sizeof buf, state = 0, proto = 0;
    LONG rv = SCardStatus((SCARDHANDLE)s->handle, NULL, NULL, &state, &proto, buf, &n);
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(c, slot, rv, "reading the card's ATR");
    if (n > cap)
        return fail_text(c, UV_E_BUFFER_TOO_SMALL, "the ATR is longer than the buffer");
    memcpy(atr, buf, n);
    *len = n;
    return UV_OK;
}

/* A transmission failed: was the card taken out? pcscd notices within its
   polling interval, so watch the reader for a moment. */
static int card_gone(struct uv_cardchan *c, uint32_t slot)
{
    return wait_state(c, slot, 0, GONE_WATCH_MS) == UV_OK;
}

int cardchan_transmit(struct uv_cardchan *c, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    int rc;
    if (cmd == NULL || resp == NULL || resp_len == NULL || cmd_len < 4 || cmd_len > UV_APDU_MAX)
        return fail_text(c, UV_E_ARG, "malformed command APDU");
    *resp_len = 0;
    struct uv_card_slot *s = connected(c, slot, &rc);
    if (s == NULL)
        return rc;
    BYTE buf[UV_RESPONSE_MAX + 2];
    DWORD n = sizeof buf;
    const SCARD_IO_REQUEST *pci =
        s->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    LONG rv = SCardTransmit((SCARDHANDLE)s->handle, pci, cmd, (DWORD)cmd_len, NULL, buf, &n);
    if (rv != SCARD_S_SUCCESS) {
        rc = pcsc_fail(c, slot, rv, "talking to the card");
        if (rc == UV_E_MEDIUM_IO && (rv == SCARD_E_NOT_TRANSACTED || rv == SCARD_F_COMM_ERROR) &&
            card_gone(c, slot))
            rc = pcsc_fail(c, slot, SCARD_W_REMOVED_CARD, "talking to the card");
        return rc;
    }
    if (n < 2)
        return fail_text(c, UV_E_MEDIUM_IO, "the card answered without a status word");
    if (n > resp_cap)
        return fail_text(c, UV_E_BUFFER_TOO_SMALL, "the card's answer is longer than the buffer");
    memcpy(resp, buf, n);
    *resp_len = n;
    return UV_OK;
}

int cardchan_disconnect(struct uv_cardchan *c, uint32_t slot, int reset)
{
    int rc;
    struct uv_card_slot *s = connected(c, slot, &rc);
    if (s == NULL)
        return rc == UV_E_MEDIUM_ABSENT ? UV_OK : rc; /* nothing to release */
    s->connected = 0;
    LONG rv = SCardDisconnect((SCARDHANDLE)s->handle, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_W_REMOVED_CARD && rv != SCARD_E_NO_SMARTCARD)
        return pcsc_fail(c, slot, rv, "releasing the card");
    return UV_OK;
}
