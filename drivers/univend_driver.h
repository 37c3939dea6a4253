/*
 * univend_driver.h — the univend meter security driver interface, ABI 1.2.
 *
 * A driver is a shared object that exports exactly one symbol:
 *
 *     const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
 *                                                  uint32_t host_abi_minor);
 *
 * It returns a pointer to a constant descriptor (struct uv_driver) that lives
 * as long as the shared object is loaded, or NULL if it cannot serve a host of
 * that ABI. Everything else in the driver should be static (build with
 * -fvisibility=hidden and mark only the entry UV_DRIVER_EXPORT).
 *
 * This header is the whole contract. A driver author needs nothing else from
 * univend: no library to link against, no other header.
 *
 * Versioning
 *   - UV_ABI_MAJOR changes only when an existing slot changes meaning; the
 *     host refuses any driver whose abi_major differs from its own.
 *   - UV_ABI_MINOR grows when slots are appended at the end of a structure.
 *     Every extensible structure starts with its own size (struct_size), and
 *     the reader of a structure touches a slot only when struct_size covers it.
 *     A shipped slot never changes type or meaning; a new slot is added.
 *
 * Lifecycle and threading
 *   entry() -> open() -> { verify(), read_medium(), issue_credit(),
 *   issue_mgmt(), decode_token() }* -> close(). The host makes one call at a
 *   time on a context, and never calls into a driver from two threads at once.
 *   A driver keeps no global mutable state: everything lives in the context
 *   that open() returns, so two contexts of one driver coexist.
 *
 * Memory ownership
 *   - Every buffer is allocated by the caller. Inputs are const and borrowed
 *     for the duration of the call only; the driver keeps no pointer to them.
 *   - Output structures are caller-allocated, with struct_size set by the
 *     caller; the driver fills what fits and never writes past struct_size.
 *   - Strings returned by strerror() are static; last_error() returns a
 *     pointer into the context, valid until the next call on that context.
 *   - Key material obtained from the host (svc->key_get) must be wiped with
 *     svc->wipe() as soon as it is no longer needed, and before close()
 *     returns.
 *
 * A driver never touches files, the database, the network or the terminal:
 * it uses the host services (struct uv_host_services) for logging, time,
 * randomness, keys and (1.2) the card channel.
 *
 * Cards (1.2)
 *   The host owns the readers. A driver reaches a card only through the card
 *   channel services, by slot: UV_SLOT_USER is the customer's card in front of
 *   the clerk, UV_SLOT_SAM a secure access module that may hold the driver's
 *   master keys. How a card sale runs:
 *     1. the host waits for a card in UV_SLOT_USER and reads its ATR;
 *     2. it asks each registered card driver whose atr_patterns match, most
 *        specific pattern first, to read_medium(): the driver connects, reads
 *        the card's identification and returns the meter number and the meter
 *        type code written on the card (UV_E_UNSUPPORTED: "not one of mine");
 *     3. the type index picks the driver for that type code (often the same);
 *     4. verify() authenticates the card and checks what it holds; only on
 *        UV_OK does the host sell: issue_credit() writes the card and sets
 *        medium_written = 1 only when the card confirmed the write;
 *     5. the host disconnects (with reset) when the sale ends or fails.
 *   The connection opened by card_connect() persists across the driver calls
 *   of one sale, so security state set up in verify() holds in issue_credit().
 *   A card pulled mid-write: return UV_E_MEDIUM_ABSENT; the host records no
 *   sale, keeps the request pending and, when the card is read again, uses
 *   uv_medium_info.last_sequence to tell whether that credit reached the card.
 */
#ifndef UNIVEND_DRIVER_H
#define UNIVEND_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UV_ABI_MAJOR 1u
#define UV_ABI_MINOR 2u /* 1.1: management ops 6-8; 1.2: card channel, ATR patterns */

/* The single exported symbol, by name and by prototype. */
#define UV_DRIVER_ENTRY_NAME "univend_driver_entry"
#define UV_DRIVER_MAGIC 0x55564452u /* "UVDR" */

#if defined(__GNUC__)
#define UV_DRIVER_EXPORT __attribute__((visibility("default")))
#else
#define UV_DRIVER_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Return codes. Stable numbers; never renumbered. Drivers may return their  */
/* own codes at or above UV_E_VENDOR_BASE and explain them in strerror().    */
/* ------------------------------------------------------------------------ */
typedef enum uv_rc {
    UV_OK = 0,
    UV_E_FAILED = 1,          /* unspecified failure; see last_error()       */
    UV_E_NOMEM = 2,
    UV_E_ARG = 3,             /* a required argument is missing or malformed */
    UV_E_UNSUPPORTED = 4,     /* this driver does not offer that operation   */
    UV_E_BUFFER_TOO_SMALL = 5,
    UV_E_PARAM = 6,           /* a meter parameter is missing or invalid     */
    UV_E_METER_ID = 7,        /* meter number malformed or bad check digit   */
    UV_E_KEY_MISSING = 8,     /* the host key store has no such key          */
    UV_E_KEY_INVALID = 9,     /* key has the wrong length or is unusable     */
    UV_E_AMOUNT_RANGE = 10,   /* credit amount zero, too large or unencodable*/
    UV_E_TOKEN_FORMAT = 11,   /* token text is not a token of this driver    */
    UV_E_TOKEN_AUTH = 12,     /* token fails its check (CRC/MAC): wrong key or forged */
    UV_E_VERIFY = 13,         /* security verification of meter/medium failed */
    UV_E_MEDIUM_ABSENT = 14,  /* no card, or card removed during the call    */
    UV_E_MEDIUM_IO = 15,      /* card/reader communication error             */
    UV_E_RETRY = 16,          /* transient; the same call may succeed later  */
    UV_E_STATE = 17,          /* meter state blob from the host is invalid   */
    UV_E_CRYPTO = 18,         /* the crypto library failed                   */
    UV_E_SELFTEST = 19,       /* known-answer self test failed               */
    /* 1.2 */
    UV_E_CARD_UNKNOWN = 20,   /* not a card of this driver/utility, or not personalised */
    UV_E_CARD_AUTH = 21,      /* card or kiosk authentication failed: cloned card, wrong key */
    UV_E_REPLAY = 22,         /* a purchase record or counter that was seen before */
    UV_E_CARD_LOCKED = 23,    /* the card refuses: security code tries used up, or only the
                                 last try is left and the driver will not spend it */
    UV_E_VENDOR_BASE = 0x10000
} uv_rc;

/* Media a driver may handle (bit mask). */
#define UV_MEDIUM_MEMORY_CARD 0x01u /* plain EEPROM card                    */
#define UV_MEDIUM_LOGIC_CARD  0x02u /* logic-encryption (security code) card */
#define UV_MEDIUM_CPU_CARD    0x04u /* ISO 7816 CPU smart card               */
#define UV_MEDIUM_RF_CARD     0x08u /* contactless card                      */
#define UV_MEDIUM_VIRTUAL     0x10u /* keypad token, e.g. STS 20 digits      */

/* Log levels for svc->log. */
#define UV_LOG_ERROR 3
#define UV_LOG_WARN 4
#define UV_LOG_INFO 6
#define UV_LOG_DEBUG 7

/* Size limits the host guarantees or enforces. */
#define UV_TYPE_CODE_MAX 15   /* type codes: 1..15 chars of [A-Z0-9._-]    */
#define UV_TYPE_CODES_MAX 64  /* type codes one driver may claim           */
#define UV_TOKEN_MAX 63       /* one token, as text, without the NUL       */
#define UV_TOKENS_MAX 4       /* tokens one operation may return           */
#define UV_STATE_MAX 256      /* per-meter driver state blob, in bytes     */
#define UV_TEXT_MAX 255       /* display/info strings, without the NUL     */
#define UV_ATR_MAX 33         /* an Answer To Reset, in bytes (ISO 7816-3) */
#define UV_ATR_PATTERNS_MAX 8 /* ATR patterns one driver may declare       */
#define UV_APDU_MAX 261       /* a short command APDU: 4 + 1 + 255 + 1     */
#define UV_RESPONSE_MAX 258   /* a short response: 256 data + SW1 SW2      */

/* Card slots (1.2): which card a card channel call is about. The host maps
   each slot to a PC/SC reader from its configuration. */
#define UV_SLOT_USER 0u /* the customer's card, inserted by the clerk    */
#define UV_SLOT_SAM 1u  /* the secure access module (PSAM), if fitted    */

/* ------------------------------------------------------------------------ */
/* Host services: handed to open(), valid until close() returns.            */
/* `host` is an opaque handle the driver passes back on every service call. */
/* ------------------------------------------------------------------------ */
struct uv_host_services {
    uint32_t struct_size;          /* sizeof(struct uv_host_services) of the host */
    uint16_t abi_major, abi_minor; /* the host's ABI                              */

    /* Log a message. The host prefixes the driver name. Never log keys. */
    void (*log)(void *host, int level, const char *message);
    /* Current time, seconds since the Unix epoch, from the host's guarded clock. */
    int64_t (*now)(void *host);
    /* Cryptographically strong random bytes. Returns UV_OK or an error. */
    int (*random)(void *host, void *buf, size_t len);
    /* Look a key up in the host key store by reference (e.g. "sts:600727:123456:1").
       Copies it into buf (capacity cap), sets *len. buf == NULL asks for the
       length only. UV_E_KEY_MISSING if none; UV_E_BUFFER_TOO_SMALL if cap < len. */
    int (*key_get)(void *host, const char *key_ref, void *buf, size_t cap, size_t *len);
    /* Overwrite memory in a way the compiler cannot elide. */
    void (*wipe)(void *buf, size_t len);

    /* 1.2: the card channel, on PC/SC. Present when struct_size covers it;
       NULL in a host that has no card readers configured. Every call
       returns UV_OK or: UV_E_MEDIUM_ABSENT (no card in the slot, or it was
       removed), UV_E_MEDIUM_IO (reader gone, transmission error),
       UV_E_ARG, UV_E_BUFFER_TOO_SMALL, UV_E_UNSUPPORTED (no such slot). */
    /* Reader names, each NUL-terminated, the list ended by an empty name
       ("a\0b\0\0"); *len counts every byte written. */
    int (*card_readers)(void *host, char *buf, size_t cap, size_t *len);
    /* Wait until a card is present (present = 1) or gone (present = 0) in
       the slot, at most timeout_ms; UV_E_RETRY if the time ran out. */
    int (*card_wait)(void *host, uint32_t slot, int present, uint32_t timeout_ms);
    /* Connect to and power the card in the slot, exclusively. Connecting a
       connected slot is harmless. */
    int (*card_connect)(void *host, uint32_t slot);
    /* The Answer To Reset of the connected card (at most UV_ATR_MAX bytes). */
    int (*card_atr)(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len);
    /* Send one command APDU (at most UV_APDU_MAX bytes) and receive the
       response with SW1 SW2 last (resp_cap UV_RESPONSE_MAX is always enough).
       Storage cards (memory, logic-encryption, contactless) are reached
       through the reader's pseudo-APDUs (class FF), as PC/SC part 3 defines. */
    int (*card_transmit)(void *host, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                         uint8_t *resp, size_t resp_cap, size_t *resp_len);
    /* Release the card; reset = 1 also resets it, dropping its security state. */
    int (*card_disconnect)(void *host, uint32_t slot, int reset);
    /* Appended slots of later minor versions go here. */
};

/* A meter parameter: a name/value pair of text. The host stores whatever
   parameters a meter record carries and passes them all; each driver documents
   which names it reads (STS: sgc, ti, krn, kt, iin, ea, bdt, key). */
struct uv_param {
    const char *name;
    const char *value;
};

/* The meter or medium a call is about. All pointers are borrowed. */
struct uv_meter {
    uint32_t struct_size;
    const char *number;            /* meter number as entered/stored        */
    const char *type_code;         /* the code that selected this driver    */
    const struct uv_param *params; /* params[0..n_params-1]                 */
    size_t n_params;
    /* Per-meter driver state from the last committed operation (e.g. last
       token id used), opaque to the host; empty on a new meter. */
    const uint8_t *state;
    size_t state_len;
};

/* What a credit is measured in. */
typedef enum uv_credit_kind {
    UV_CREDIT_ELECTRICITY = 0, /* amount in Wh                        */
    UV_CREDIT_WATER = 1,       /* amount in litres                    */
    UV_CREDIT_GAS = 2,         /* amount in litres                    */
    UV_CREDIT_TIME = 3,        /* amount in seconds                   */
    UV_CREDIT_CURRENCY = 4     /* amount in currency minor units       */
} uv_credit_kind;

struct uv_credit_request {
    uint32_t struct_size;
    uint32_t kind;      /* uv_credit_kind                          */
    uint64_t amount;    /* in the unit of `kind`                   */
    uint64_t sequence;  /* host receipt number, for the driver's records */
};

/* Result of issue_credit / issue_mgmt. Caller allocated and zeroed. */
struct uv_issue_result {
    uint32_t struct_size;
    uint32_t n_tokens;                             /* 0 when a card was written */
    char tokens[UV_TOKENS_MAX][UV_TOKEN_MAX + 1];  /* NUL-terminated text        */
    uint64_t amount_issued;    /* what the token/card actually carries, after
                                  the medium's own rounding as its standard
                                  requires; the host refuses a result more
                                  than 1 % away from the request            */
    uint32_t medium_written;   /* 1 when a card write was confirmed          */
    char token_id[32];         /* driver's id of the transfer (STS: TID)     */
    uint8_t state[UV_STATE_MAX]; /* new per-meter state, committed by the
                                    host together with the receipt           */
    size_t state_len;
};

/* Management / engineering operations (issue_mgmt). */
typedef enum uv_mgmt_op {
    UV_MGMT_SET_POWER_LIMIT = 1,  /* arg: watts                     */
    UV_MGMT_CLEAR_CREDIT = 2,
    UV_MGMT_CLEAR_TAMPER = 3,
    UV_MGMT_SET_TARIFF_RATE = 4,  /* arg: rate in driver units      */
    UV_MGMT_KEY_CHANGE = 5,       /* params name the new key data   */
    /* 1.1 */
    UV_MGMT_SET_CREDIT = 6,       /* arg: credit in the unit of params "kind" (default Wh) */
    UV_MGMT_DISABLE = 7,          /* stop the device until new credit */
    UV_MGMT_UNLOCK = 8,           /* unlock the device for good       */
    /* 1.2 */
    UV_MGMT_REFUND = 9,           /* take back the credit a returned card still holds (not
                                     yet loaded into the meter); amount_issued = what was
                                     taken off the card, in the unit of params "kind" */
    UV_MGMT_VENDOR_BASE = 0x10000
} uv_mgmt_op;

/* For UV_MGMT_KEY_CHANGE the request params carry the new values, each
   named "new_" + the meter parameter it replaces (STS: new_sgc, new_ti,
   new_krn, new_kt, new_bdt, new_key). When the driver returns UV_OK the
   host stores them as the meter's parameters, in the same transaction as
   the record of the tokens. */

struct uv_mgmt_request {
    uint32_t struct_size;
    uint32_t op;                   /* uv_mgmt_op                      */
    uint64_t arg;
    const struct uv_param *params; /* op-specific, borrowed           */
    size_t n_params;
};

/* What verify()/read_medium() learned about the meter or medium. */
struct uv_medium_info {
    uint32_t struct_size;
    char meter_number[32];
    char type_code[UV_TYPE_CODE_MAX + 1];
    char summary[UV_TEXT_MAX + 1]; /* one line for the clerk */
    /* 1.2: cards */
    char card_serial[32];      /* the card's own serial, as text (blacklists) */
    uint64_t last_sequence;    /* credit request `sequence` of the last credit
                                  written to this card; 0 if none or unknown */
    uint64_t pending_amount;   /* credit on the card not yet loaded into the
                                  meter, in the unit of pending_kind          */
    uint32_t pending_kind;     /* uv_credit_kind                             */
    uint32_t flags;            /* UV_INFO_*                                  */
    uint64_t meter_remaining;  /* credit the meter reported back on the card,
                                  in the unit of pending_kind                 */
    uint32_t meter_tamper;     /* tamper bits the meter reported; driver-
                                  defined, 0 = none (explained in summary)    */
};
#define UV_INFO_METER_DATA 0x01u /* meter_remaining/meter_tamper are valid:
                                    the card has been to the meter and back   */
#define UV_INFO_PENDING 0x02u    /* pending_amount is valid                   */

/* A decoded token. */
struct uv_token_info {
    uint32_t struct_size;
    uint32_t token_class;
    uint32_t subclass;
    uint32_t kind;            /* uv_credit_kind, for credit tokens       */
    uint64_t amount;          /* in the unit of kind                     */
    int64_t issued_at;        /* Unix seconds from the token id, or 0    */
    char token_id[32];
    char description[UV_TEXT_MAX + 1];
};

/* An ATR pattern (1.2): hex text, e.g. atr "3B02A1B2", mask "FFFFFF00".
   A card matches when (card ATR & mask) == (atr & mask), byte by byte, and
   the ATRs have the same length. mask NULL means every bit counts. */
struct uv_atr_pattern {
    const char *atr;
    const char *mask;
};

/* ------------------------------------------------------------------------ */
/* The descriptor.                                                          */
/* ------------------------------------------------------------------------ */
struct uv_driver {
    uint32_t magic;                /* UV_DRIVER_MAGIC                      */
    uint16_t abi_major, abi_minor; /* UV_ABI_MAJOR, UV_ABI_MINOR           */
    uint32_t struct_size;          /* sizeof(struct uv_driver)             */

    const char *name;        /* short id, e.g. "sts"                       */
    const char *vendor;
    const char *version;     /* driver's own version, e.g. "1.0.0"         */
    const char *description; /* one line                                   */
    uint32_t media;          /* UV_MEDIUM_* mask                           */
    const char *const *type_codes; /* NULL-terminated list of meter type codes */

    /* Create a context. config holds driver settings from the host
       configuration (may be empty). On success *ctx is set. Required. */
    int (*open)(const struct uv_host_services *svc, void *host,
                const struct uv_param *config, size_t n_config, void **ctx);
    /* Destroy a context, wiping any key material. Required. */
    void (*close)(void *ctx);

    /* Security verification of a meter or medium before any sale: check the
       meter number, parameters, keys, and for cards authenticate the card and
       check what it says. UV_OK means the host may sell. Required. */
    int (*verify)(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info);
    /* Read the identity of the medium in front of the kiosk (card drivers);
       NULL for drivers of virtual media. */
    int (*read_medium)(void *ctx, struct uv_medium_info *info);
    /* Issue a credit: return tokens or write the card. Required. */
    int (*issue_credit)(void *ctx, const struct uv_meter *meter,
                        const struct uv_credit_request *req, struct uv_issue_result *out);
    /* Engineering / management action; NULL if none offered. */
    int (*issue_mgmt)(void *ctx, const struct uv_meter *meter,
                      const struct uv_mgmt_request *req, struct uv_issue_result *out);
    /* Decode and authenticate a token for this meter; NULL if the medium has
       no tokens. The host calls it on every token before showing it. */
    int (*decode_token)(void *ctx, const struct uv_meter *meter, const char *token,
                        struct uv_token_info *out);

    /* Text for a return code; never NULL. Required. */
    const char *(*strerror)(int rc);
    /* Detail of the last failure on this context, or "" ; never NULL. Required. */
    const char *(*last_error)(void *ctx);
    /* Known-answer self test, run by the host when it loads the driver and
       by `univend driver check`. Needs no keys from the host. Required. */
    int (*self_test)(const struct uv_host_services *svc, void *host);

    /* 1.2: the ATRs of the cards whose identification this driver can read
       with read_medium(), ended by {NULL, NULL}; NULL for drivers that handle
       no card. At most UV_ATR_PATTERNS_MAX. */
    const struct uv_atr_pattern *atr_patterns;
    /* Appended slots of later minor versions go here. */
};

typedef const struct uv_driver *(*uv_driver_entry_fn)(uint32_t host_abi_major,
                                                      uint32_t host_abi_minor);

/* Declared for drivers; defined by each driver. */
UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor);

/* Smallest descriptor size a 1.x host accepts: everything up to self_test. */
#define UV_DRIVER_MIN_SIZE \
    (offsetof(struct uv_driver, self_test) + sizeof(((struct uv_driver *)0)->self_test))

#ifdef __cplusplus
}
#endif
#endif /* UNIVEND_DRIVER_H */
