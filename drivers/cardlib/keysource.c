/* keysource.c — card keys from the kiosk key store or from a SAM. */
#include "keysource.h"

#include <string.h>

#include "cardio.h"

/* SAM commands (docs/cards.md "The SAM"). */
#define SAM_CLA 0x80
#define SAM_DERIVE_MAC 0x10
#define SAM_DERIVE_EXPORT 0x16

int ks_parse_slot(const char *value, uint8_t *slot)
{
    if (value == NULL || value[0] < '1' || value[0] > '9')
        return -1;
    unsigned v = 0;
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9' || p - value >= 2)
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v < 1 || v > 15)
        return -1;
    *slot = (uint8_t)v;
    return 0;
}

int ks_option(struct ks_source *s, const char *name, const char *value, int *rc)
{
    *rc = UV_OK;
    if (strcmp(name, "keys") == 0) {
        if (value && strcmp(value, "store") == 0)
            s->sam = 0;
        else if (value && strcmp(value, "sam") == 0)
            s->sam = 1;
        else
            *rc = cio_fail(s->err, UV_E_PARAM, "option keys must be store or sam");
        return 1;
    }
    if (strcmp(name, "alg") == 0) {
        int a = cardkey_alg_parse(value);
        if (a == 0)
            *rc = cio_fail(s->err, UV_E_PARAM, "option alg must be aes, 3des or sm4");
        else
            s->alg = a;
        return 1;
    }
    return 0;
}

/* The master key of a role from the key store, checked. */
static int store_master(struct ks_source *s, int role, uint8_t master[CARDKEY_LEN])
{
    size_t len = 0;
    const char *ref = s->ref[role];
    if (s->svc->key_get == NULL || s->svc->key_get(s->host, ref, NULL, 0, &len) != UV_OK)
        return cio_fail(s->err, UV_E_KEY_MISSING,
                    "no key '%s' in the key store: add the utility's card master key "
                    "(univend key add %s --hex ...)",
                    ref, ref);
    if (len != CARDKEY_LEN)
        return cio_fail(s->err, UV_E_KEY_INVALID, "key '%s' is %zu bytes; a card master key is 16", ref,
                    len);
    int rc = s->svc->key_get(s->host, ref, master, CARDKEY_LEN, &len);
    if (rc != UV_OK || len != CARDKEY_LEN) {
        s->svc->wipe(master, CARDKEY_LEN);
        return cio_fail(s->err, UV_E_KEY_MISSING, "key '%s' could not be read from the key store", ref);
    }
    return UV_OK;
}

static int store_card_key(struct ks_source *s, int role, const uint8_t *serial,
                          size_t serial_len, uint8_t key[CARDKEY_LEN])
{
    uint8_t master[CARDKEY_LEN];
    int rc = store_master(s, role, master);
    if (rc != UV_OK)
        return rc;
    if (serial_len == 0 || serial_len > CARDKEY_SERIAL_MAX)
        rc = cio_fail(s->err, UV_E_KEY_INVALID,
                      "a %zu-byte card serial cannot be diversified (1..%d bytes)", serial_len,
                      CARDKEY_SERIAL_MAX);
    else if (cardkey_derive(s->alg, master, serial, serial_len, key) != 0)
        rc = cio_fail(s->err, UV_E_CRYPTO, "card key derivation failed in the crypto library");
    s->svc->wipe(master, sizeof master);
    return rc;
}

/* One SAM command: CLA 80, INS, P1 = key slot, P2 = 0, data = Ld || serial
   || msg, Le = 00. */
static int sam_call(struct ks_source *s, uint8_t ins, int role, const uint8_t *serial,
                    size_t serial_len, const uint8_t *msg, size_t msg_len, uint8_t *resp,
                    size_t cap, size_t *len)
{
    uint8_t cmd[UV_APDU_MAX];
    size_t lc = 1 + serial_len + msg_len;
    unsigned sw = 0;
    if (serial_len == 0 || serial_len > CARDKEY_SERIAL_MAX || lc > 255)
        return cio_fail(s->err, UV_E_ARG, "SAM request too long");
    cmd[0] = SAM_CLA;
    cmd[1] = ins;
    cmd[2] = s->slot[role];
    cmd[3] = 0;
    cmd[4] = (uint8_t)lc;
    cmd[5] = (uint8_t)serial_len;
    memcpy(cmd + 6, serial, serial_len);
    if (msg_len)
        memcpy(cmd + 6 + serial_len, msg, msg_len);
    cmd[5 + lc] = 0x00;
    if (!cio_has_channel(s->svc))
        return cio_fail(s->err, UV_E_UNSUPPORTED, "keys = sam, but this kiosk has no card readers");
    int rc = s->svc->card_connect(s->host, UV_SLOT_SAM);
    if (rc == UV_OK)
        rc = cio_apdu(s->svc, s->host, UV_SLOT_SAM, cmd, 6 + lc, resp, cap, len, &sw);
    if (rc == UV_E_MEDIUM_ABSENT || rc == UV_E_UNSUPPORTED)
        return cio_fail(s->err, UV_E_KEY_MISSING,
                    "keys = sam, but there is no SAM in the SAM reader (sam_reader in "
                    "univend.conf): fit the utility's SAM");
    if (rc != UV_OK)
        return cio_fail(s->err, rc == UV_E_BUFFER_TOO_SMALL ? UV_E_MEDIUM_IO : rc,
                    "the SAM did not answer (reader error %d)", rc);
    switch (sw) {
    case 0x9000: return UV_OK;
    case 0x6A88:
        return cio_fail(s->err, UV_E_KEY_MISSING, "the SAM has no key in slot %u", s->slot[role]);
    case 0x6985:
        return cio_fail(s->err, UV_E_KEY_INVALID,
                    ins == SAM_DERIVE_EXPORT
                        ? "SAM slot %u does not allow key export (a contactless reader needs "
                          "the sector key in clear: that slot must be personalised export=1)"
                        : "SAM slot %u does not allow this use",
                    s->slot[role]);
    default:
        return cio_fail(s->err, UV_E_MEDIUM_IO, "the SAM refused the request (status %04X)", sw);
    }
}

int ks_ready(struct ks_source *s, int n_roles)
{
    for (int role = 0; role < n_roles && !s->sam; role++) {
        uint8_t master[CARDKEY_LEN];
        int rc = store_master(s, role, master);
        s->svc->wipe(master, sizeof master);
        if (rc != UV_OK)
            return rc;
    }
    return UV_OK;
}

int ks_mac(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                  const uint8_t *msg, size_t msg_len, uint8_t *mac, size_t mac_len)
{
    uint8_t full[UV_RESPONSE_MAX];
    size_t n = 0;
    int rc;
    if (role < 0 || role >= KS_ROLES_MAX || mac_len == 0 || mac_len > CARDKEY_MAC_MAX)
        return cio_fail(s->err, UV_E_ARG, "bad MAC request");
    if (s->sam) {
        rc = sam_call(s, SAM_DERIVE_MAC, role, serial, serial_len, msg, msg_len, full,
                      sizeof full, &n);
        if (rc == UV_OK && n < mac_len)
            rc = cio_fail(s->err, UV_E_MEDIUM_IO, "the SAM returned a %zu-byte MAC", n);
    } else {
        uint8_t key[CARDKEY_LEN];
        rc = store_card_key(s, role, serial, serial_len, key);
        if (rc == UV_OK) {
            size_t m = cardkey_block(s->alg);
            if (cardkey_cmac(s->alg, key, msg, msg_len, full) != 0)
                rc = cio_fail(s->err, UV_E_CRYPTO, "CMAC failed in the crypto library");
            else if (m < mac_len)
                rc = cio_fail(s->err, UV_E_ARG, "%s MACs are %zu bytes", cardkey_alg_name(s->alg), m);
        }
        s->svc->wipe(key, sizeof key);
    }
    if (rc == UV_OK)
        memcpy(mac, full, mac_len);
    explicit_bzero(full, sizeof full);
    return rc;
}

/* Constant-time comparison: 1 when equal. */
static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

int ks_check(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                    const uint8_t *msg, size_t msg_len, const uint8_t *mac, size_t mac_len)
{
    uint8_t want[CARDKEY_MAC_MAX];
    int rc = ks_mac(s, role, serial, serial_len, msg, msg_len, want, mac_len);
    if (rc == UV_OK && !same(want, mac, mac_len))
        rc = UV_E_TOKEN_AUTH;
    explicit_bzero(want, sizeof want);
    return rc;
}

int ks_export(struct ks_source *s, int role, const uint8_t *serial, size_t serial_len,
                     uint8_t key[CARDKEY_LEN])
{
    if (role < 0 || role >= KS_ROLES_MAX)
        return cio_fail(s->err, UV_E_ARG, "bad key role");
    if (!s->sam)
        return store_card_key(s, role, serial, serial_len, key);
    uint8_t resp[UV_RESPONSE_MAX];
    size_t n = 0;
    int rc = sam_call(s, SAM_DERIVE_EXPORT, role, serial, serial_len, NULL, 0, resp,
                      sizeof resp, &n);
    if (rc == UV_OK && n != CARDKEY_LEN)
        rc = cio_fail(s->err, UV_E_MEDIUM_IO, "the SAM exported a %zu-byte key, not 16", n);
    if (rc == UV_OK)
        memcpy(key, resp, CARDKEY_LEN);
    explicit_bzero(resp, sizeof resp);
    return rc;
}
