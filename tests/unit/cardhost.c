/* cardhost.c — host services for card driver tests, on the in-process card emulations. */
#include "cardhost.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardlib/cardtext.h"
#include "testutil.h"

static void h_log(void *host, int level, const char *message)
{
    (void)host;
    (void)level;
    (void)message;
}

static int64_t h_now(void *host)
{
    (void)host;
    return 1700000000;
}

static int h_random(void *host, void *buf, size_t len)
{
    (void)host;
    memset(buf, 0x5A, len);
    return UV_OK;
}

static void h_wipe(void *buf, size_t len)
{
    explicit_bzero(buf, len);
}

static int h_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    struct ch_host *h = host;
    for (int i = 0; i < h->n_keys; i++) {
        if (strcmp(h->keys[i].ref, ref) != 0)
            continue;
        *len = h->keys[i].len;
        if (buf == NULL)
            return UV_OK;
        if (cap < h->keys[i].len)
            return UV_E_BUFFER_TOO_SMALL;
        memcpy(buf, h->keys[i].key, h->keys[i].len);
        return UV_OK;
    }
    return UV_E_KEY_MISSING;
}

static int h_readers(void *host, char *buf, size_t cap, size_t *len)
{
    (void)host;
    static const char names[] = "Test PCD 00 00\0Test PCD 00 01\0";
    if (cap < sizeof names)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(buf, names, sizeof names);
    *len = sizeof names;
    return UV_OK;
}

static int h_wait(void *host, uint32_t slot, int present, uint32_t timeout_ms)
{
    struct ch_host *h = host;
    (void)timeout_ms;
    if (slot >= CH_SLOTS)
        return UV_E_UNSUPPORTED;
    return (h->present[slot] != 0) == (present != 0) ? UV_OK : UV_E_RETRY;
}

static void drop(struct ch_host *h, uint32_t slot)
{
    if (h->connected[slot] && h->ops[slot])
        h->ops[slot]->release(&h->card[slot]);
    h->connected[slot] = 0;
}

static int h_connect(void *host, uint32_t slot)
{
    struct ch_host *h = host;
    if (slot >= CH_SLOTS)
        return UV_E_UNSUPPORTED;
    if (!h->present[slot] || h->ops[slot] == NULL)
        return UV_E_MEDIUM_ABSENT;
    if (h->connected[slot])
        return UV_OK;
    h->connects++;
    struct sim_card *c = &h->card[slot];
    c->ops = h->ops[slot];
    c->state = NULL;
    if (image_load(&c->img, h->image[slot], 0) != 0 || c->ops->reset(c) != 0) {
        c->ops->release(c);
        return UV_E_MEDIUM_IO;
    }
    h->connected[slot] = 1;
    return UV_OK;
}

static int h_atr(void *host, uint32_t slot, uint8_t *atr, size_t cap, size_t *len)
{
    struct ch_host *h = host;
    uint8_t buf[SIM_ATR_MAX];
    if (slot >= CH_SLOTS)
        return UV_E_UNSUPPORTED;
    if (!h->present[slot])
        return UV_E_MEDIUM_ABSENT;
    if (!h->connected[slot])
        return UV_E_MEDIUM_IO;
    size_t n = h->ops[slot]->atr(&h->card[slot], buf);
    if (n > cap)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(atr, buf, n);
    *len = n;
    return UV_OK;
}

/* UV_CARDHOST_RECORD=FILE appends every response of the user's card to FILE
   as the fuzz targets read them (tests/fuzz/fuzz_cardhost.h): how their
   seeds were made. */
static void record(uint32_t slot, const uint8_t *resp, size_t n)
{
    const char *path = getenv("UV_CARDHOST_RECORD");
    FILE *f;
    if (path == NULL || slot != UV_SLOT_USER || (f = fopen(path, "ab")) == NULL)
        return;
    const uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    fwrite(len, 1, 2, f);
    fwrite(resp, 1, n, f);
    fclose(f);
}

static int h_transmit(void *host, uint32_t slot, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    struct ch_host *h = host;
    uint8_t buf[SIM_RESP_MAX];
    ck_assert_uint_le(cmd_len, UV_APDU_MAX);
    if (slot >= CH_SLOTS)
        return UV_E_UNSUPPORTED;
    if (!h->present[slot])
        return UV_E_MEDIUM_ABSENT;
    if (!h->connected[slot])
        return UV_E_MEDIUM_IO;
    h->apdus++;
    int pull = 0;
    if (slot == UV_SLOT_USER && cmd_len >= 2 && cmd[0] == 0xFF && cmd[1] == 0xD6 &&
        ++h->writes == h->pull_at_write)
        pull = 1;
    if (slot == UV_SLOT_USER && cmd_len > 5 && cmd[0] == 0xFF && cmd[1] == 0x20)
        h->codes_presented++;
    if (pull && !h->pull_after_card) {
        ch_pull(h, slot);
        return UV_E_MEDIUM_ABSENT;
    }
    size_t n = h->ops[slot]->apdu(&h->card[slot], cmd, cmd_len, buf);
    ck_assert_uint_ge(n, 2);
    if (pull) {
        ch_pull(h, slot);
        return UV_E_MEDIUM_ABSENT;
    }
    if (n > resp_cap)
        return UV_E_BUFFER_TOO_SMALL;
    memcpy(resp, buf, n);
    *resp_len = n;
    record(slot, buf, n);
    return UV_OK;
}

static int h_disconnect(void *host, uint32_t slot, int reset)
{
    struct ch_host *h = host;
    (void)reset;
    if (slot >= CH_SLOTS)
        return UV_E_UNSUPPORTED;
    drop(h, slot);
    return UV_OK;
}

struct ch_host *ch_new(void)
{
    struct ch_host *h = calloc(1, sizeof *h);
    ck_assert_ptr_nonnull(h);
    h->svc = (struct uv_host_services){
        .struct_size = sizeof(struct uv_host_services),
        .abi_major = UV_ABI_MAJOR,
        .abi_minor = UV_ABI_MINOR,
        .log = h_log,
        .now = h_now,
        .random = h_random,
        .key_get = h_key_get,
        .wipe = h_wipe,
        .card_readers = h_readers,
        .card_wait = h_wait,
        .card_connect = h_connect,
        .card_atr = h_atr,
        .card_transmit = h_transmit,
        .card_disconnect = h_disconnect,
    };
    return h;
}

void ch_free(struct ch_host *h)
{
    for (uint32_t s = 0; s < CH_SLOTS; s++)
        drop(h, s);
    free(h);
}

void ch_insert(struct ch_host *h, uint32_t slot, const struct sim_card_ops *ops,
               const char *image)
{
    ck_assert_uint_lt(slot, CH_SLOTS);
    drop(h, slot);
    h->ops[slot] = ops;
    ck_assert_uint_lt(strlen(image), sizeof h->image[slot]);
    strcpy(h->image[slot], image);
    h->present[slot] = 1;
}

void ch_pull(struct ch_host *h, uint32_t slot)
{
    drop(h, slot);
    h->present[slot] = 0;
}

void ch_reinsert(struct ch_host *h, uint32_t slot)
{
    drop(h, slot);
    h->present[slot] = 1;
}

void ch_add_key(struct ch_host *h, const char *ref, const char *hex)
{
    ck_assert_int_lt(h->n_keys, CH_KEYS);
    snprintf(h->keys[h->n_keys].ref, sizeof h->keys[h->n_keys].ref, "%s", ref);
    long n = ct_unhex(hex, h->keys[h->n_keys].key, sizeof h->keys[h->n_keys].key);
    ck_assert_int_gt(n, 0);
    h->keys[h->n_keys++].len = (size_t)n;
}

const struct uv_driver *ch_load_driver(const char *file, void **so)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tu_driver_dir(), file);
    *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(*so != NULL, "dlopen %s: %s", path, dlerror());
    uv_driver_entry_fn entry = (uv_driver_entry_fn)dlsym(*so, UV_DRIVER_ENTRY_NAME);
    ck_assert_ptr_nonnull(entry);
    const struct uv_driver *d = entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    ck_assert_ptr_nonnull(d);
    return d;
}
