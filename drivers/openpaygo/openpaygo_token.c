/*
 * openpaygo_token.c — OpenPAYGO Token v2.3: SipHash-2-4, the code chain,
 * value encoding in the token base, count parity and the decode window.
 * Pure functions: no I/O, no globals, every input checked.
 */
#include "openpaygo_token.h"

#include <string.h>

#define STD_OFFSET 1000u
#define EXT_OFFSET 1000000u
#define STD_DIGITS 9
#define EXT_DIGITS 12
#define STD_RESTRICTED_DIGITS 15 /* 30 bits, two per digit */
#define EXT_RESTRICTED_DIGITS 20 /* 40 bits */
#define EXT_CODE_MAX UINT64_C(999999999999)

const char *opg_strerror(opg_rc rc)
{
    switch (rc) {
    case OPG_OK: return "ok";
    case OPG_ERR_ARG: return "invalid argument";
    case OPG_ERR_RANGE: return "value, count or starting code out of range";
    case OPG_ERR_FORMAT: return "not a token of this format";
    case OPG_ERR_INVALID: return "token is not valid for this device";
    case OPG_ERR_USED: return "token was already used or is too old";
    }
    return "unknown error";
}

/* ---- SipHash-2-4 ----------------------------------------------------- */

static uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64u - b));
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

struct sip {
    uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip *s)
{
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl64(s->v2, 32);
}

static void sip_compress(struct sip *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

opg_rc opg_siphash24(const uint8_t key[OPG_KEY_LEN], const void *msg, size_t len, uint64_t *out)
{
    if (key == NULL || out == NULL || (msg == NULL && len != 0))
        return OPG_ERR_ARG;
    const uint8_t *m = msg;
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    /* the initialisation constants spell "somepseudorandomlygeneratedbytes" */
    struct sip s = {k0 ^ UINT64_C(0x736f6d6570736575), k1 ^ UINT64_C(0x646f72616e646f6d),
                    k0 ^ UINT64_C(0x6c7967656e657261), k1 ^ UINT64_C(0x7465646279746573)};
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8)
        sip_compress(&s, load_le64(m + i));
    /* last block: the remaining bytes, little-endian, and len mod 256 on top */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)m[full + i] << (8 * i);
    sip_compress(&s, last);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(&s);
    *out = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
    return OPG_OK;
}

/* ---- the code chain --------------------------------------------------- */

/* 32-bit fold of a hash, then down to 29.5 bits: never above 999,999,999. */
static uint32_t hash_to_code(uint64_t h)
{
    uint32_t x = (uint32_t)(h >> 32) ^ (uint32_t)h;
    uint32_t r = x >> 2;
    if (r > OPG_STARTING_CODE_MAX)
        r -= 73741825u;
    return r;
}

/* The top 40 bits of a hash, down to at most 12 digits. */
static uint64_t hash_to_code_ext(uint64_t h)
{
    uint64_t r = h >> 24;
    if (r > EXT_CODE_MAX)
        r -= UINT64_C(99511627777);
    return r;
}

opg_rc opg_next_code(const uint8_t key[OPG_KEY_LEN], uint32_t code, uint32_t *out)
{
    if (key == NULL || out == NULL)
        return OPG_ERR_ARG;
    uint8_t b[8];
    for (int i = 0; i < 4; i++)
        b[i] = b[i + 4] = (uint8_t)(code >> (24 - 8 * i));
    uint64_t h;
    opg_rc rc = opg_siphash24(key, b, sizeof b, &h);
    if (rc != OPG_OK)
        return rc;
    *out = hash_to_code(h);
    return OPG_OK;
}

opg_rc opg_next_code_ext(const uint8_t key[OPG_KEY_LEN], uint64_t code, uint64_t *out)
{
    if (key == NULL || out == NULL)
        return OPG_ERR_ARG;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(code >> (56 - 8 * i));
    uint64_t h;
    opg_rc rc = opg_siphash24(key, b, sizeof b, &h);
    if (rc != OPG_OK)
        return rc;
    *out = hash_to_code_ext(h);
    return OPG_OK;
}

opg_rc opg_starting_code_from_key(const uint8_t key[OPG_KEY_LEN], uint32_t *out)
{
    if (key == NULL || out == NULL)
        return OPG_ERR_ARG;
    uint64_t h;
    opg_rc rc = opg_siphash24(key, key, OPG_KEY_LEN, &h);
    if (rc != OPG_OK)
        return rc;
    *out = hash_to_code(h);
    return OPG_OK;
}

opg_rc opg_next_count(uint32_t count, opg_type type, uint32_t *new_count)
{
    if (new_count == NULL)
        return OPG_ERR_ARG;
    if (type != OPG_ADD && type != OPG_SET && type != OPG_DISABLE_PAYG &&
        type != OPG_COUNTER_SYNC)
        return OPG_ERR_ARG;
    if (count > OPG_COUNT_MAX)
        return OPG_ERR_RANGE;
    int want_odd = type != OPG_ADD;
    int is_odd = (int)(count & 1u);
    uint32_t n = count + (want_odd == is_odd ? 2u : 1u);
    if (n > OPG_COUNT_MAX)
        return OPG_ERR_RANGE;
    *new_count = n;
    return OPG_OK;
}

static int dev_ok(const opg_device *dev)
{
    return dev != NULL && dev->starting_code <= OPG_STARTING_CODE_MAX &&
           (dev->extended == 0 || dev->extended == 1) &&
           (dev->restricted == 0 || dev->restricted == 1);
}

/* The code of a given base at a given count: the starting code with that
   base, `count` steps along the chain, the base put back. Both formats
   work on 64-bit integers here; the standard chain stays below 2^30. */
struct chain {
    const opg_device *dev;
    uint64_t offset; /* 1000 or 1,000,000 */
    uint64_t base;
    uint64_t code;   /* unmasked current code */
};

static void chain_start(struct chain *c, const opg_device *dev, uint64_t base)
{
    c->dev = dev;
    c->offset = dev->extended ? EXT_OFFSET : STD_OFFSET;
    c->base = base;
    c->code = (uint64_t)dev->starting_code - (uint64_t)dev->starting_code % c->offset + base;
}

static opg_rc chain_step(struct chain *c)
{
    if (c->dev->extended)
        return opg_next_code_ext(c->dev->key, c->code, &c->code);
    uint32_t next;
    opg_rc rc = opg_next_code(c->dev->key, (uint32_t)c->code, &next);
    c->code = next;
    return rc;
}

static uint64_t chain_masked(const struct chain *c)
{
    return c->code - c->code % c->offset + c->base;
}

static void format_token(const opg_device *dev, uint64_t t, char *out)
{
    if (dev->restricted) {
        int n = dev->extended ? EXT_RESTRICTED_DIGITS : STD_RESTRICTED_DIGITS;
        for (int i = 0; i < n; i++)
            out[i] = (char)('1' + ((t >> (2 * (n - 1 - i))) & 3u));
        out[n] = '\0';
    } else {
        int n = dev->extended ? EXT_DIGITS : STD_DIGITS;
        for (int i = n - 1; i >= 0; i--) {
            out[i] = (char)('0' + t % 10);
            t /= 10;
        }
        out[n] = '\0';
    }
}

static size_t token_digits(const opg_device *dev)
{
    if (dev->restricted)
        return dev->extended ? EXT_RESTRICTED_DIGITS : STD_RESTRICTED_DIGITS;
    return dev->extended ? EXT_DIGITS : STD_DIGITS;
}

opg_rc opg_generate(const opg_device *dev, uint32_t count, opg_type type, uint32_t value,
                    uint32_t *new_count, char *out, size_t cap)
{
    if (!dev_ok(dev) || new_count == NULL || out == NULL)
        return OPG_ERR_ARG;
    if (cap < token_digits(dev) + 1)
        return OPG_ERR_ARG;
    uint32_t max_value = dev->extended ? OPG_MAX_ACTIVATION_VALUE_EXT : OPG_MAX_ACTIVATION_VALUE;
    switch (type) {
    case OPG_ADD:
    case OPG_SET:
        if (value > max_value)
            return OPG_ERR_RANGE;
        break;
    case OPG_DISABLE_PAYG:
        if (value != 0)
            return OPG_ERR_ARG;
        value = OPG_PAYG_DISABLE_VALUE;
        break;
    case OPG_COUNTER_SYNC:
        if (value != 0)
            return OPG_ERR_ARG;
        value = OPG_COUNTER_SYNC_VALUE;
        break;
    default:
        return OPG_ERR_ARG;
    }
    uint32_t n;
    opg_rc rc = opg_next_count(count, type, &n);
    if (rc != OPG_OK)
        return rc;
    struct chain c;
    uint64_t offset = dev->extended ? EXT_OFFSET : STD_OFFSET;
    chain_start(&c, dev, ((uint64_t)dev->starting_code % offset + value) % offset);
    for (uint32_t i = 0; i < n; i++)
        if ((rc = chain_step(&c)) != OPG_OK)
            return rc;
    format_token(dev, chain_masked(&c), out);
    *new_count = n;
    return OPG_OK;
}

opg_rc opg_parse(const opg_device *dev, const char *text, uint64_t *token)
{
    if (!dev_ok(dev) || text == NULL || token == NULL)
        return OPG_ERR_ARG;
    size_t want = token_digits(dev);
    size_t n = strnlen(text, want + 1);
    if (n != want)
        return OPG_ERR_FORMAT;
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (dev->restricted) {
            if (ch < '1' || ch > '4')
                return OPG_ERR_FORMAT;
            t = (t << 2) | (uint64_t)(ch - '1');
        } else {
            if (ch < '0' || ch > '9')
                return OPG_ERR_FORMAT;
            t = t * 10 + (uint64_t)(ch - '0');
        }
    }
    *token = t;
    return OPG_OK;
}

static opg_type type_of(const opg_device *dev, uint32_t count, uint32_t value)
{
    if ((count & 1u) == 0)
        return OPG_ADD;
    if (!dev->extended && value == OPG_COUNTER_SYNC_VALUE)
        return OPG_COUNTER_SYNC;
    if (!dev->extended && value == OPG_PAYG_DISABLE_VALUE)
        return OPG_DISABLE_PAYG;
    return OPG_SET;
}

/* Walk the chain for this token from count 0 to limit; for every count
   whose code equals the token, ask accept(). Returns OPG_OK with *found set
   at the first accepted count, OPG_ERR_USED if some matched but none was
   accepted, OPG_ERR_INVALID if none matched. */
typedef int (*accept_fn)(void *arg, uint32_t count, uint32_t value, opg_type type);

static opg_rc walk(const opg_device *dev, const char *text, uint32_t limit, accept_fn accept,
                   void *arg, opg_token *found)
{
    uint64_t token;
    opg_rc rc = opg_parse(dev, text, &token);
    if (rc != OPG_OK)
        return rc;
    uint64_t offset = dev->extended ? EXT_OFFSET : STD_OFFSET;
    uint64_t base = token % offset, start_base = dev->starting_code % offset;
    uint32_t value = (uint32_t)((base + offset - start_base) % offset);
    if (limit > OPG_COUNT_MAX + OPG_MAX_TOKEN_JUMP_COUNTER_SYNC)
        limit = OPG_COUNT_MAX + OPG_MAX_TOKEN_JUMP_COUNTER_SYNC;
    struct chain c;
    chain_start(&c, dev, base);
    int matched = 0;
    /* count 0 is the starting code itself, never a token: start at 1 */
    for (uint32_t count = 0;; count++) {
        if (count > 0 && chain_masked(&c) == token) {
            opg_type type = type_of(dev, count, value);
            if (accept(arg, count, value, type)) {
                found->type = type;
                found->value = value;
                found->count = count;
                return OPG_OK;
            }
            matched = 1;
        }
        if (count >= limit)
            break;
        if ((rc = chain_step(&c)) != OPG_OK)
            return rc;
    }
    return matched ? OPG_ERR_USED : OPG_ERR_INVALID;
}

struct range {
    uint32_t lo, hi;
};

static int accept_range(void *arg, uint32_t count, uint32_t value, opg_type type)
{
    const struct range *r = arg;
    (void)value;
    (void)type;
    return count >= r->lo && count <= r->hi;
}

opg_rc opg_find(const opg_device *dev, const char *text, uint32_t min_count, uint32_t max_count,
                opg_token *out)
{
    if (!dev_ok(dev) || text == NULL || out == NULL || min_count > max_count)
        return OPG_ERR_ARG;
    struct range r = {min_count, max_count};
    opg_rc rc = walk(dev, text, max_count, accept_range, &r, out);
    return rc == OPG_ERR_USED ? OPG_ERR_INVALID : rc;
}

/* ---- the device side: counts used ------------------------------------ */

struct devstate {
    uint32_t max;
    uint16_t used;
    int extended;
};

static int is_used(const struct devstate *d, uint32_t count)
{
    if (count == d->max)
        return 1;
    uint32_t rel = d->max - 1 - count; /* count < max here */
    return rel < 16 && ((d->used >> rel) & 1u);
}

static int accept_device(void *arg, uint32_t count, uint32_t value, opg_type type)
{
    const struct devstate *d = arg;
    if (!d->extended && value == OPG_COUNTER_SYNC_VALUE)
        return count + OPG_MAX_TOKEN_JUMP > d->max;
    if (count > d->max)
        return 1;
    return count != 0 && count + OPG_MAX_UNUSED_OLDER_TOKENS > d->max && type == OPG_ADD &&
           !is_used(d, count);
}

opg_rc opg_device_decode(const opg_device *dev, const char *text, uint32_t *max_count,
                         uint16_t *used, opg_token *out)
{
    if (!dev_ok(dev) || text == NULL || max_count == NULL || used == NULL || out == NULL)
        return OPG_ERR_ARG;
    if (*max_count > OPG_COUNT_MAX)
        return OPG_ERR_RANGE;
    struct devstate d = {*max_count, *used, dev->extended};
    /* the window: a counter-sync token may jump further; find its value first */
    uint64_t token;
    opg_rc rc = opg_parse(dev, text, &token);
    if (rc != OPG_OK)
        return rc;
    uint64_t offset = dev->extended ? EXT_OFFSET : STD_OFFSET;
    uint32_t value =
        (uint32_t)((token % offset + offset - dev->starting_code % offset) % offset);
    uint32_t jump = !dev->extended && value == OPG_COUNTER_SYNC_VALUE
                        ? OPG_MAX_TOKEN_JUMP_COUNTER_SYNC
                        : OPG_MAX_TOKEN_JUMP;
    opg_token t;
    rc = walk(dev, text, d.max + jump, accept_device, &d, &t);
    if (rc != OPG_OK)
        return rc;
    /* mark it used; a set, disable or sync token retires every older count */
    uint32_t new_max = t.count > d.max ? t.count : d.max;
    uint16_t nu;
    if (t.type != OPG_ADD || (!dev->extended && (t.value == OPG_COUNTER_SYNC_VALUE ||
                                                 t.value == OPG_PAYG_DISABLE_VALUE))) {
        nu = 0xFFFFu;
    } else if (t.count > d.max) {
        uint32_t shift = t.count - d.max;
        /* the old max is now shift-1 below, every old bit moves up by shift */
        nu = 0;
        if (shift - 1 < 16)
            nu |= (uint16_t)(1u << (shift - 1));
        if (shift < 16)
            nu |= (uint16_t)((uint32_t)d.used << shift);
    } else {
        nu = (uint16_t)(d.used | (1u << (d.max - 1 - t.count)));
    }
    *max_count = new_max;
    *used = nu;
    *out = t;
    return OPG_OK;
}
