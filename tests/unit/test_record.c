/* test_record.c — the TLV record codec (db/record.c) and the BDB store (db/store.c). */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---------------------------------------------------------------------- */
/* helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* Append one tag-length-value field to buf at *pos (length little endian). */
static void tlv(uint8_t *buf, size_t *pos, uint8_t tag, const void *val, size_t n)
{
    buf[*pos] = tag;
    buf[*pos + 1] = (uint8_t)(n & 0xFF);
    buf[*pos + 2] = (uint8_t)(n >> 8);
    if (n)
        memcpy(buf + *pos + 3, val, n);
    *pos += 3 + n;
}

/* A string of n copies of c (n < cap). */
static void fill_str(char *dst, size_t n, char c)
{
    memset(dst, c, n);
    dst[n] = '\0';
}

static void make_meter(struct rec_meter *m)
{
    memset(m, 0, sizeof *m);
    strcpy(m->number, "01234567897");
    fill_str(m->type_code, sizeof m->type_code - 1, 'T'); /* longest that fits */
    strcpy(m->customer, "C001");
    strcpy(m->tariff, "RES");
    strcpy(m->params, "sgc=123456\nti=01\nkrn=1\n");
    for (unsigned i = 0; i < sizeof m->state; i++)
        m->state[i] = (uint8_t)(255 - i);
    m->state_len = sizeof m->state; /* full blob */
    m->created_at = -1234567890123LL;
    m->last_sale_at = INT64_MAX;
    m->sales_count = UINT64_MAX;
    m->last_receipt = 0x0102030405060708ULL;
    m->report_at = 1700000009;
    m->report_remaining = 39400;
    m->report_kind = 4;
    m->report_tamper = 0x80000001u;
}

static void make_customer(struct rec_customer *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->id, "C001");
    fill_str(c->name, sizeof c->name - 1, 'n');
    strcpy(c->address, "12 Long Street, Cape Town");
    strcpy(c->phone, "+27 21 555 0100");
    c->created_at = INT64_MIN;
}

static void make_tariff(struct rec_tariff *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->id, "RES");
    strcpy(t->name, "Residential");
    t->price_milli = 150000;
    t->vat_bp = UINT32_MAX;
    t->created_at = 1700000000;
}

static void make_typeidx(struct rec_typeidx *x)
{
    memset(x, 0, sizeof *x);
    strcpy(x->code, "STS-EA07");
    strcpy(x->file, "sts.so");
    strcpy(x->driver, "sts");
    strcpy(x->version, "1.0.0");
    strcpy(x->vendor, "univend project");
    for (unsigned i = 0; i < sizeof x->sha256; i++)
        x->sha256[i] = (uint8_t)(0xA0 + i);
    x->registered_at = 1700000001;
    strcpy(x->registered_by, "admin");
    x->media = 0x01;
    fill_str(x->atr, sizeof x->atr - 1, 'F'); /* the longest ATR text that fits */
}

static void make_receipt(struct rec_receipt *r)
{
    memset(r, 0, sizeof *r);
    r->number = 42;
    r->time = 1700000002;
    strcpy(r->kiosk, "TEST-1");
    strcpy(r->clerk, "clerk7");
    strcpy(r->meter, "01234567897");
    strcpy(r->customer, "C001");
    strcpy(r->type_code, "STS-EA07");
    strcpy(r->driver, "sts");
    strcpy(r->driver_version, "1.0.0");
    strcpy(r->tariff, "RES");
    strcpy(r->currency, "ZAR");
    r->gross = 5000;
    r->net = 4348;
    r->vat = 652;
    r->price_milli = 150000;
    r->vat_bp = 1500;
    r->credit_kind = 7;
    r->energy_wh = 28900;
    r->energy_wh_requested = 28980;
    strcpy(r->token_id, "123456789");
    for (int i = 0; i < REC_TOKENS; i++)
        fill_str(r->tokens[i], REC_TOKEN_MAX - 1, (char)('0' + i));
    r->n_tokens = REC_TOKENS;
    r->reprints = 3;
    for (int i = 0; i < 32; i++) {
        r->prev_hash[i] = (uint8_t)i;
        r->hash[i] = (uint8_t)(0xFF - i);
    }
    fill_str(r->card_serial, sizeof r->card_serial - 1, 'A');
}

static void make_audit(struct rec_audit *a)
{
    memset(a, 0, sizeof *a);
    a->seq = 7;
    a->time = 1700000003;
    strcpy(a->actor, "tester");
    strcpy(a->action, "sale");
    strcpy(a->subject, "01234567897");
    fill_str(a->detail, sizeof a->detail - 1, 'd');
    memset(a->prev_hash, 0x11, sizeof a->prev_hash);
    memset(a->hash, 0x22, sizeof a->hash);
}

static void make_key(struct rec_key *k)
{
    memset(k, 0, sizeof *k);
    strcpy(k->ref, "sts:123456:1");
    for (int i = 0; i < 12; i++)
        k->nonce[i] = (uint8_t)(i + 1);
    for (int i = 0; i < 8; i++)
        k->ct[i] = (uint8_t)(0x80 | i);
    k->ct_len = 8; /* a partial blob */
    memset(k->tag, 0x5A, sizeof k->tag);
    k->created_at = 1700000004;
    strcpy(k->created_by, "tester");
}

static void make_credit(struct rec_credit *c)
{
    memset(c, 0, sizeof *c);
    c->grants = 3;
    c->from_receipt = 12;
    c->money_granted = 500000;
    c->money_used = 123456;
    c->energy_granted_wh = 900000;
    c->energy_used_wh = 28900;
    c->expires = 1790000000;
    c->warn_money = 50000;
    c->warn_wh = 100000;
    strcpy(c->last_grant, "SUB-042-G3");
    c->last_grant_at = 1780000000;
}

static void make_credit_grant(struct rec_credit_grant *g)
{
    memset(g, 0, sizeof *g);
    strcpy(g->id, "SUB-042-G3");
    g->money = 200000;
    g->energy_wh = 300000;
    g->expires = 1790000000;
    g->warn_money = 50000;
    g->warn_wh = 100000;
    g->applied_at = 1780000000;
    g->instruction = 7;
}

static void make_hq_group(struct rec_hq_group *g)
{
    memset(g, 0, sizeof *g);
    strcpy(g->kiosk, "SUB-042");
    g->sequence = 12;
    g->day = -3; /* before 1970 */
    strcpy(g->tariff, "RES");
    fill_str(g->driver, sizeof g->driver - 1, 'v');
    g->first_receipt = 1001;
    g->count = 17;
    g->gross = -5000;
    g->vat = 652;
    g->net = 4348;
    g->energy_wh = UINT64_MAX;
}

/* Every layout with a fully populated sample record. */
struct sample {
    const struct rec_layout *l;
    void (*make)(void *);
};
static const struct sample samples[] = {
    {&rec_meter_layout, (void (*)(void *))make_meter},
    {&rec_customer_layout, (void (*)(void *))make_customer},
    {&rec_tariff_layout, (void (*)(void *))make_tariff},
    {&rec_typeidx_layout, (void (*)(void *))make_typeidx},
    {&rec_receipt_layout, (void (*)(void *))make_receipt},
    {&rec_audit_layout, (void (*)(void *))make_audit},
    {&rec_key_layout, (void (*)(void *))make_key},
    {&rec_credit_layout, (void (*)(void *))make_credit},
    {&rec_credit_grant_layout, (void (*)(void *))make_credit_grant},
    {&rec_hq_group_layout, (void (*)(void *))make_hq_group},
};
#define N_SAMPLES (sizeof samples / sizeof samples[0])

/* ---------------------------------------------------------------------- */
/* round trips                                                             */
/* ---------------------------------------------------------------------- */

START_TEST(roundtrip_every_layout)
{
    const struct sample *sm = &samples[_i];
    const struct rec_layout *l = sm->l;
    void *a = malloc(l->struct_size), *b = malloc(l->struct_size);
    uint8_t buf[REC_BUF_MAX];
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    sm->make(a);
    size_t n = rec_encode(l, a, buf, sizeof buf);
    ck_assert_msg(n > 1, "%s: encode failed", l->name);
    ck_assert_uint_eq(buf[0], REC_VERSION);
    memset(b, 0xEE, l->struct_size);
    ck_assert_int_eq(rec_decode(l, buf, n, b), 0);
    ck_assert_msg(memcmp(a, b, l->struct_size) == 0, "%s: round trip differs", l->name);
    /* the fields are well framed, each a tag of the table, each once
       (fields the sample leaves at zero are absent: absent means zero) */
    size_t pos = 1, seen = 0;
    while (pos < n) {
        int known = 0;
        for (size_t f = 0; f < l->n_fields; f++)
            known |= l->fields[f].tag == buf[pos];
        ck_assert_msg(known, "%s: tag %u not in the table", l->name, buf[pos]);
        seen++;
        pos += 3 + (size_t)(buf[pos + 1] | buf[pos + 2] << 8);
    }
    ck_assert_uint_eq(pos, n);
    ck_assert_uint_le(seen, l->n_fields);
    ck_assert_uint_ge(seen, 3);
    /* encoding is deterministic */
    uint8_t buf2[REC_BUF_MAX];
    ck_assert_uint_eq(rec_encode(l, b, buf2, sizeof buf2), n);
    ck_assert_mem_eq(buf, buf2, n);
    free(a);
    free(b);
}
END_TEST

START_TEST(wire_format_is_pinned)
{
    /* Stored data must stay readable: pin the exact bytes of a small tariff.
       version 01
       tag 1 (id) len 1 "T"                 01 01 00 54
       tag 2 (name) empty -> omitted
       tag 3 price_milli 150000 = 0x0249F0  03 08 00 F0 49 02 00 00 00 00 00
       tag 4 vat_bp 1500 = 0x05DC           04 04 00 DC 05 00 00
       tag 5 created_at -1 (all ones)       05 08 00 FF FF FF FF FF FF FF FF */
    static const uint8_t want[] = {0x01, 0x01, 0x01, 0x00, 'T',  0x03, 0x08, 0x00, 0xF0, 0x49,
                                   0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00,
                                   0xDC, 0x05, 0x00, 0x00, 0x05, 0x08, 0x00, 0xFF, 0xFF, 0xFF,
                                   0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    struct rec_tariff t, back;
    uint8_t buf[256];
    memset(&t, 0, sizeof t);
    strcpy(t.id, "T");
    t.price_milli = 150000;
    t.vat_bp = 1500;
    t.created_at = -1;
    size_t n = rec_encode(&rec_tariff_layout, &t, buf, sizeof buf);
    ck_assert_uint_eq(n, sizeof want);
    ck_assert_mem_eq(buf, want, sizeof want);
    ck_assert_int_eq(rec_decode(&rec_tariff_layout, want, sizeof want, &back), 0);
    ck_assert_str_eq(back.id, "T");
    ck_assert_str_eq(back.name, "");
    ck_assert_int_eq(back.price_milli, 150000);
    ck_assert_uint_eq(back.vat_bp, 1500);
    ck_assert_int_eq(back.created_at, -1);
}
END_TEST

START_TEST(empty_strings_are_omitted)
{
    struct rec_customer c, back;
    uint8_t buf[REC_BUF_MAX];
    memset(&c, 0, sizeof c);
    strcpy(c.id, "C9");
    c.created_at = 5;
    size_t n = rec_encode(&rec_customer_layout, &c, buf, sizeof buf);
    /* 1 version + (3 + 2) id + (3 + 8) created_at = 17; name/address/phone absent */
    ck_assert_uint_eq(n, 17);
    ck_assert_uint_eq(buf[1], 1);
    ck_assert_uint_eq(buf[6], 5);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, n, &back), 0);
    ck_assert_mem_eq(&c, &back, sizeof c);

    /* absent means zero: an all-zero meter is the version byte alone, and a
       zero integer added to a record leaves its encoding unchanged */
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    ck_assert_uint_eq(rec_encode(&rec_meter_layout, &m, buf, sizeof buf), 1);
    m.sales_count = 7;
    ck_assert_uint_eq(rec_encode(&rec_meter_layout, &m, buf, sizeof buf), 1 + 3 + 8);
    m.month_bought_wh = 0; /* a field added later, left at zero */
    ck_assert_uint_eq(rec_encode(&rec_meter_layout, &m, buf, sizeof buf), 1 + 3 + 8);

    /* an explicit zero-length string field decodes as the empty string */
    size_t pos = 0;
    uint8_t hand[64];
    hand[pos++] = REC_VERSION;
    tlv(hand, &pos, 2, "", 0);
    tlv(hand, &pos, 1, "X", 1);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, hand, pos, &back), 0);
    ck_assert_str_eq(back.id, "X");
    ck_assert_str_eq(back.name, "");
    /* a version byte alone is a valid, empty record */
    ck_assert_int_eq(rec_decode(&rec_customer_layout, hand, 1, &back), 0);
    ck_assert_str_eq(back.id, "");
}
END_TEST

START_TEST(unknown_tags_are_skipped)
{
    struct rec_customer c, back;
    uint8_t enc[REC_BUF_MAX], buf[REC_BUF_MAX];
    make_customer(&c);
    size_t n = rec_encode(&rec_customer_layout, &c, enc, sizeof enc);
    ck_assert_uint_gt(n, 1);
    /* fields from a newer version: tag 200 (5 bytes) before all known fields,
       then after them an empty tag 99 and a big tag 255 (300 bytes, so the
       high length byte is used) */
    uint8_t junk[300];
    memset(junk, 0xC3, sizeof junk);
    size_t pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 200, "hello", 5);
    memcpy(buf + pos, enc + 1, n - 1);
    pos += n - 1;
    tlv(buf, &pos, 99, NULL, 0);
    tlv(buf, &pos, 255, junk, sizeof junk);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), 0);
    ck_assert_mem_eq(&c, &back, sizeof c);

    /* a tag one layout knows is unknown to another: a receipt's tag 28
       (hash, 32 bytes) inside a customer record is skipped */
    uint8_t h[32] = {0};
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 28, h, sizeof h);
    tlv(buf, &pos, 1, "Z1", 2);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), 0);
    ck_assert_str_eq(back.id, "Z1");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* refusals                                                                */
/* ---------------------------------------------------------------------- */

START_TEST(decode_refuses_bad_version_and_headers)
{
    struct rec_customer c, back;
    uint8_t enc[REC_BUF_MAX];
    make_customer(&c);
    size_t n = rec_encode(&rec_customer_layout, &c, enc, sizeof enc);

    /* wrong version byte: 0, 2, 0xFF */
    static const uint8_t versions[] = {0, 2, 0xFF};
    for (size_t i = 0; i < sizeof versions; i++) {
        enc[0] = versions[i];
        ck_assert_int_eq(rec_decode(&rec_customer_layout, enc, n, &back), -1);
    }
    enc[0] = REC_VERSION;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, enc, n, &back), 0);
    /* empty buffer and NULL */
    ck_assert_int_eq(rec_decode(&rec_customer_layout, enc, 0, &back), -1);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, NULL, 10, &back), -1);

    /* truncated header: 1 and 2 bytes of a 3-byte tag/length header */
    uint8_t buf[REC_BUF_MAX];
    memcpy(buf, enc, n);
    buf[n] = 1;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, n + 1, &back), -1);
    buf[n + 1] = 0;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, n + 2, &back), -1);

    /* every proper truncation of a valid record is refused except those that
       end exactly on a field boundary */
    size_t bounds[16], nb = 0, pos = 1;
    while (pos < n) {
        pos += 3 + (size_t)(enc[pos + 1] | enc[pos + 2] << 8);
        bounds[nb++] = pos;
    }
    for (size_t cut = 1; cut < n; cut++) {
        int on_boundary = 0;
        for (size_t i = 0; i < nb; i++)
            on_boundary |= bounds[i] == cut;
        on_boundary |= cut == 1;
        ck_assert_msg(rec_decode(&rec_customer_layout, enc, cut, &back) == (on_boundary ? 0 : -1),
                      "cut at %zu", cut);
    }
}
END_TEST

START_TEST(decode_refuses_length_overrun)
{
    struct rec_customer back;
    uint8_t buf[64];
    size_t pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 1, "ABCD", 4);
    /* claim 5 bytes with 4 present */
    buf[2] = 5;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), -1);
    /* claim 0xFFFF bytes */
    buf[2] = 0xFF;
    buf[3] = 0xFF;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), -1);
    /* an unknown tag overrunning is refused too, not skipped past the end */
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 200, "xy", 2);
    buf[2] = 3;
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), -1);
}
END_TEST

START_TEST(decode_refuses_bad_strings)
{
    struct rec_customer back;
    uint8_t buf[256];
    char s[64];
    size_t pos;

    /* phone is char[32]: 31 bytes fit (with the NUL), 32 do not */
    memset(s, '5', sizeof s);
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 4, s, 31);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), 0);
    ck_assert_uint_eq(strlen(back.phone), 31);
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 4, s, 32);
    ck_assert_int_eq(rec_decode(&rec_customer_layout, buf, pos, &back), -1);

    /* a NUL inside the value, at the start, or as its last byte */
    static const char *const with_nul[] = {"AB\0CD", "\0ABCD", "ABCD\0"};
    for (int i = 0; i < 3; i++) {
        pos = 0;
        buf[pos++] = REC_VERSION;
        tlv(buf, &pos, 1, with_nul[i], 5);
        ck_assert_msg(rec_decode(&rec_customer_layout, buf, pos, &back) == -1, "case %d", i);
    }
}
END_TEST

START_TEST(decode_refuses_bad_integers_and_bytes)
{
    uint8_t buf[512], v[300];
    size_t pos;
    memset(v, 7, sizeof v);
    struct rec_tariff t;
    struct rec_typeidx x;
    struct rec_meter m;

    /* I64 (tariff created_at, tag 5) must be exactly 8 bytes */
    static const size_t bad64[] = {0, 1, 4, 7, 9, 16};
    for (size_t i = 0; i < sizeof bad64 / sizeof bad64[0]; i++) {
        pos = 0;
        buf[pos++] = REC_VERSION;
        tlv(buf, &pos, 5, v, bad64[i]);
        ck_assert_msg(rec_decode(&rec_tariff_layout, buf, pos, &t) == -1, "len %zu", bad64[i]);
    }
    /* U32 (vat_bp, tag 4) must be exactly 4 bytes */
    static const size_t bad32[] = {0, 3, 5, 8};
    for (size_t i = 0; i < sizeof bad32 / sizeof bad32[0]; i++) {
        pos = 0;
        buf[pos++] = REC_VERSION;
        tlv(buf, &pos, 4, v, bad32[i]);
        ck_assert_msg(rec_decode(&rec_tariff_layout, buf, pos, &t) == -1, "len %zu", bad32[i]);
    }
    /* U64 (meter sales_count, tag 9) with 4 bytes */
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 9, v, 4);
    ck_assert_int_eq(rec_decode(&rec_meter_layout, buf, pos, &m), -1);

    /* RF_BYTES (typeidx sha256, tag 6) must be exactly 32 */
    static const size_t badb[] = {0, 31, 33};
    for (size_t i = 0; i < sizeof badb / sizeof badb[0]; i++) {
        pos = 0;
        buf[pos++] = REC_VERSION;
        tlv(buf, &pos, 6, v, badb[i]);
        ck_assert_msg(rec_decode(&rec_typeidx_layout, buf, pos, &x) == -1, "len %zu", badb[i]);
    }
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 6, v, 32);
    ck_assert_int_eq(rec_decode(&rec_typeidx_layout, buf, pos, &x), 0);
    ck_assert_uint_eq(x.sha256[31], 7);

    /* RF_BLOB (meter state, tag 6, slot 256): 256 fits, 257 does not */
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 6, v, 256);
    ck_assert_int_eq(rec_decode(&rec_meter_layout, buf, pos, &m), 0);
    ck_assert_uint_eq(m.state_len, 256);
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 6, v, 257);
    ck_assert_int_eq(rec_decode(&rec_meter_layout, buf, pos, &m), -1);
    /* key ct (slot 64): 65 refused, 0 gives ct_len 0 */
    struct rec_key k;
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 3, v, 65);
    ck_assert_int_eq(rec_decode(&rec_key_layout, buf, pos, &k), -1);
    pos = 0;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 3, v, 0);
    ck_assert_int_eq(rec_decode(&rec_key_layout, buf, pos, &k), 0);
    ck_assert_uint_eq(k.ct_len, 0);
}
END_TEST

START_TEST(decode_integer_values_little_endian)
{
    /* 0x8877665544332211 as I64 little endian is negative:
       -(2^64 - 0x8877665544332211) = -0x778899AABBCCDDEF */
    static const uint8_t v8[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    static const uint8_t v4[4] = {0x78, 0x56, 0x34, 0x12};
    uint8_t buf[64];
    size_t pos = 0;
    struct rec_tariff t;
    buf[pos++] = REC_VERSION;
    tlv(buf, &pos, 3, v8, 8);
    tlv(buf, &pos, 4, v4, 4);
    ck_assert_int_eq(rec_decode(&rec_tariff_layout, buf, pos, &t), 0);
    ck_assert_int_eq(t.price_milli, -(int64_t)0x778899AABBCCDDEFLL);
    ck_assert_uint_eq(t.vat_bp, 0x12345678u);
}
END_TEST

START_TEST(encode_refusals)
{
    uint8_t buf[REC_BUF_MAX];
    struct rec_customer c;

    /* unterminated string: name fills its whole slot */
    make_customer(&c);
    memset(c.name, 'x', sizeof c.name);
    ck_assert_uint_eq(rec_encode(&rec_customer_layout, &c, buf, sizeof buf), 0);
    /* unterminated short field (phone) too */
    make_customer(&c);
    memset(c.phone, '1', sizeof c.phone);
    ck_assert_uint_eq(rec_encode(&rec_customer_layout, &c, buf, sizeof buf), 0);

    /* too small a buffer: every capacity below the size fails, the exact size works */
    make_customer(&c);
    size_t n = rec_encode(&rec_customer_layout, &c, buf, sizeof buf);
    ck_assert_uint_gt(n, 1);
    for (size_t cap = 0; cap < n; cap++) {
        uint8_t *small = malloc(cap ? cap : 1);
        ck_assert_msg(rec_encode(&rec_customer_layout, &c, small, cap) == 0, "cap %zu", cap);
        free(small);
    }
    uint8_t *exact = malloc(n);
    ck_assert_uint_eq(rec_encode(&rec_customer_layout, &c, exact, n), n);
    ck_assert_mem_eq(exact, buf, n);
    free(exact);

    /* blob length beyond its slot */
    struct rec_meter m;
    make_meter(&m);
    m.state_len = sizeof m.state + 1;
    ck_assert_uint_eq(rec_encode(&rec_meter_layout, &m, buf, sizeof buf), 0);
    struct rec_key k;
    make_key(&k);
    k.ct_len = 65;
    ck_assert_uint_eq(rec_encode(&rec_key_layout, &k, buf, sizeof buf), 0);
    k.ct_len = 64;
    ck_assert_uint_gt(rec_encode(&rec_key_layout, &k, buf, sizeof buf), 0);
}
END_TEST

START_TEST(u64_keys)
{
    uint8_t k[8];
    rec_u64_key(0x0102030405060708ULL, k);
    static const uint8_t be[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_mem_eq(k, be, 8);
    ck_assert_uint_eq(rec_u64_from_key(be), 0x0102030405060708ULL);

    /* increasing values give increasing keys under memcmp (B-tree order);
       little endian would put 256 (00 01 ...) before 1 (01 00 ...) */
    static const uint64_t vals[] = {0,          1,           2,           255,        256,
                                    257,        65535,       65536,       0xFFFFFFFFULL,
                                    1ULL << 32, 1ULL << 56,  (1ULL << 63) - 1, 1ULL << 63,
                                    UINT64_MAX - 1, UINT64_MAX};
    size_t nv = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < nv; i++) {
        uint8_t a[8], b[8];
        rec_u64_key(vals[i], a);
        ck_assert_uint_eq(rec_u64_from_key(a), vals[i]);
        for (size_t j = i + 1; j < nv; j++) {
            rec_u64_key(vals[j], b);
            ck_assert_msg(memcmp(a, b, 8) < 0, "%llu vs %llu", (unsigned long long)vals[i],
                          (unsigned long long)vals[j]);
        }
    }
    /* round trip over a spread of values */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rec_u64_key(x, k);
        ck_assert_uint_eq(rec_u64_from_key(k), x);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* pseudo-fuzz                                                             */
/* ---------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    /* xorshift64* — deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static size_t rnd(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

/* A random, plausibly shaped record for layout l: known tags with lengths
   near their slot, some unknown tags, occasional junk. */
static size_t gen_tlv(const struct rec_layout *l, uint8_t *buf, size_t cap)
{
    size_t pos = 0;
    buf[pos++] = rnd(16) ? REC_VERSION : (uint8_t)rng();
    size_t nf = rnd(2 * l->n_fields + 2);
    for (size_t i = 0; i < nf; i++) {
        uint8_t val[600];
        uint8_t tag;
        size_t n;
        if (rnd(8) == 0) {
            tag = (uint8_t)rng();
            n = rnd(40);
        } else {
            const struct rec_field *f = &l->fields[rnd(l->n_fields)];
            tag = f->tag;
            switch (rnd(6)) {
            case 0: n = 0; break;
            case 1: n = 4; break;
            case 2: n = 8; break;
            case 3: n = f->size ? f->size - 1 : 0; break;
            case 4: n = f->size; break;
            default: n = rnd((size_t)f->size + 2); break;
            }
        }
        if (n > sizeof val)
            n = sizeof val;
        for (size_t j = 0; j < n; j++)
            val[j] = rnd(20) ? (uint8_t)(' ' + rnd(95)) : (uint8_t)rng();
        if (pos + 3 + n > cap)
            break;
        tlv(buf, &pos, tag, val, n);
    }
    if (rnd(10) == 0 && pos > 1)
        pos -= 1 + rnd(pos - 1); /* truncate */
    return pos;
}

START_TEST(fuzz_decode_never_crashes)
{
    const struct sample *sm = &samples[_i];
    const struct rec_layout *l = sm->l;
    uint8_t valid[REC_BUF_MAX], work[REC_BUF_MAX], re[REC_BUF_MAX];
    void *proto = malloc(l->struct_size);
    ck_assert_ptr_nonnull(proto);
    sm->make(proto);
    size_t vn = rec_encode(l, proto, valid, sizeof valid);
    ck_assert_uint_gt(vn, 1);
    free(proto);
    rng_state = 0x853C49E6748FEA9BULL + (uint64_t)_i;
    unsigned decoded = 0, refused = 0;

    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0;
        switch (rnd(5)) {
        case 0: /* random bytes */
            n = rnd(80);
            for (size_t j = 0; j < n; j++)
                work[j] = (uint8_t)rng();
            if (n && rnd(4))
                work[0] = REC_VERSION;
            break;
        case 1: { /* valid record with a few bytes changed */
            memcpy(work, valid, vn);
            n = vn;
            size_t k = 1 + rnd(4);
            for (size_t j = 0; j < k; j++) {
                size_t at = rnd(n);
                if (rnd(2))
                    work[at] ^= (uint8_t)(1u << rnd(8));
                else
                    work[at] = (uint8_t)rng();
            }
            break;
        }
        case 2: /* valid record truncated or extended with junk */
            memcpy(work, valid, vn);
            n = rnd(vn + 1);
            if (rnd(2)) {
                size_t extra = rnd(8);
                for (size_t j = 0; j < extra && n < sizeof work; j++)
                    work[n++] = (uint8_t)rng();
            }
            break;
        case 3: /* valid record with one length field rewritten */
            memcpy(work, valid, vn);
            n = vn;
            {
                size_t pos = 1, nth = rnd(l->n_fields), i = 0;
                while (pos + 3 <= n && i < nth) {
                    pos += 3 + (size_t)(work[pos + 1] | work[pos + 2] << 8);
                    i++;
                }
                if (pos + 3 <= n) {
                    uint16_t len = (uint16_t)rng();
                    if (rnd(2))
                        len %= 300;
                    work[pos + 1] = (uint8_t)len;
                    work[pos + 2] = (uint8_t)(len >> 8);
                }
            }
            break;
        default:
            n = gen_tlv(l, work, sizeof work);
            break;
        }
        /* exact-size heap copies so ASan/valgrind see any overrun */
        uint8_t *in = malloc(n ? n : 1);
        void *out = malloc(l->struct_size), *out2 = malloc(l->struct_size);
        ck_assert(in && out && out2);
        memcpy(in, work, n);
        if (rec_decode(l, in, n, out) == 0) {
            decoded++;
            size_t rn = rec_encode(l, out, re, sizeof re);
            ck_assert_msg(rn > 0, "%s iter %d: decoded record does not re-encode", l->name, iter);
            ck_assert_int_eq(rec_decode(l, re, rn, out2), 0);
            ck_assert_msg(memcmp(out, out2, l->struct_size) == 0,
                          "%s iter %d: re-encoded record differs", l->name, iter);
            /* and the canonical form is stable */
            uint8_t re2[REC_BUF_MAX];
            ck_assert_uint_eq(rec_encode(l, out2, re2, sizeof re2), rn);
            ck_assert_mem_eq(re, re2, rn);
        } else {
            refused++;
        }
        free(in);
        free(out);
        free(out2);
    }
    /* the generator must exercise both paths substantially */
    ck_assert_msg(decoded > 1000 && refused > 1000, "%s: decoded %u refused %u", l->name, decoded,
                  refused);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* store                                                                   */
/* ---------------------------------------------------------------------- */

static struct uv_ctx *sctx;

static void store_setup(void)
{
    sctx = tu_kiosk_new();
}

static void store_teardown(void)
{
    if (sctx)
        tu_kiosk_free(sctx);
    sctx = NULL;
}

static void put_u64(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, uint64_t k, const char *v)
{
    uint8_t key[8];
    struct uv_error e;
    rec_u64_key(k, key);
    ck_assert_int_eq(store_put(s, txn, id, key, 8, v, strlen(v), 0, &e), UVS_OK);
}

START_TEST(store_counters)
{
    struct uv_store *s = &sctx->store;
    struct uv_error *e = &sctx->err;
    uint64_t v = 99;
    DB_TXN *txn;
    ck_assert_int_eq(store_counter_peek(s, NULL, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 0); /* absent counter peeks as 0 */

    ck_assert_int_eq(store_begin(s, &txn, e), UVS_OK);
    ck_assert_int_eq(store_counter_next(s, txn, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(store_counter_next(s, txn, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 2);
    ck_assert_int_eq(store_commit(s, txn, e), UVS_OK);

    /* an aborted transaction gives its numbers back */
    ck_assert_int_eq(store_begin(s, &txn, e), UVS_OK);
    ck_assert_int_eq(store_counter_next(s, txn, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 3);
    ck_assert_int_eq(store_counter_next(s, txn, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 4);
    store_abort(txn);
    ck_assert_int_eq(store_counter_peek(s, NULL, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 2);
    ck_assert_int_eq(store_counter_next(s, NULL, "test.ctr", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 3);

    /* counters are independent of each other */
    ck_assert_int_eq(store_counter_next(s, NULL, "test.other", &v, e), UVS_OK);
    ck_assert_uint_eq(v, 1);

    /* stored big endian in 8 bytes */
    uint8_t raw[16];
    size_t len = 0;
    ck_assert_int_eq(store_meta_get(s, NULL, "test.ctr", raw, sizeof raw, &len, 0, e), UVS_OK);
    ck_assert_uint_eq(len, 8);
    ck_assert_uint_eq(raw[7], 3);
    ck_assert_uint_eq(raw[0], 0);

    /* a damaged counter (wrong length) is reported, not misread */
    ck_assert_int_eq(store_meta_put(s, NULL, "test.bad", "abc", 3, e), UVS_OK);
    ck_assert_int_eq(store_counter_next(s, NULL, "test.bad", &v, e), UVS_STORE);
    ck_assert_int_eq(store_counter_peek(s, NULL, "test.bad", &v, e), UVS_STORE);
}
END_TEST

struct collect {
    uint64_t keys[64];
    size_t n;
    size_t stop_after; /* 0: never */
    int fail_with;     /* a status to return at stop_after instead of 1 */
};

static int collect_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct collect *c = arg;
    ck_assert_uint_eq(kl, 8);
    ck_assert_uint_gt(vl, 0);
    (void)v;
    c->keys[c->n++] = rec_u64_from_key(k);
    if (c->stop_after && c->n == c->stop_after)
        return c->fail_with ? c->fail_with : STORE_STOP;
    return 0;
}

START_TEST(store_iterate_orders)
{
    struct uv_store *s = &sctx->store;
    struct uv_error *e = &sctx->err;
    /* keys 2, 4, ..., 20 inserted out of order; 256 and 258 check that
       order is numeric (big endian), not by the low byte */
    static const uint64_t ins[] = {14, 2, 20, 8, 4, 18, 6, 16, 10, 12, 258, 256};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++)
        put_u64(s, NULL, UV_DB_RECEIPTS, ins[i], "v");
    static const uint64_t asc[] = {2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 256, 258};
    const size_t na = sizeof asc / sizeof asc[0];

    struct collect c = {0};
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, NULL, 0, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, na);
    for (size_t i = 0; i < na; i++)
        ck_assert_uint_eq(c.keys[i], asc[i]);

    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, NULL, 0, 1, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, na);
    for (size_t i = 0; i < na; i++)
        ck_assert_uint_eq(c.keys[i], asc[na - 1 - i]);

    /* from an absent key: starts at the first key >= 5, i.e. 6 */
    uint8_t from[8];
    rec_u64_key(5, from);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, na - 2);
    ck_assert_uint_eq(c.keys[0], 6);
    ck_assert_uint_eq(c.keys[c.n - 1], 258);
    /* from an existing key, forward and reverse */
    rec_u64_key(12, from);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 7); /* 12 14 16 18 20 256 258 */
    ck_assert_uint_eq(c.keys[0], 12);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 1, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 6); /* 12 10 8 6 4 2 */
    ck_assert_uint_eq(c.keys[0], 12);
    ck_assert_uint_eq(c.keys[5], 2);
    /* reverse from an absent key: the last key below it, i.e. 4 */
    rec_u64_key(5, from);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 1, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 2); /* 4 2 */
    ck_assert_uint_eq(c.keys[0], 4);
    /* from beyond the last key: nothing forward, everything in reverse */
    rec_u64_key(1000, from);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 0);
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, from, 8, 1, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, na);
    ck_assert_uint_eq(c.keys[0], 258);

    /* a callback failing with UVS_FAILED (1) fails the walk; it is not a stop */
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    c.fail_with = UVS_FAILED;
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, NULL, 0, 0, collect_one, &c, e),
                     UVS_FAILED);
    /* stop early: STORE_STOP ends the walk with success */
    memset(&c, 0, sizeof c);
    c.stop_after = 3;
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, NULL, 0, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_uint_eq(c.keys[2], 6);
    /* a status from the callback ends the walk with that status */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    c.fail_with = UVS_INPUT;
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_RECEIPTS, NULL, 0, 1, collect_one, &c, e),
                     UVS_INPUT);
    ck_assert_uint_eq(c.n, 2);

    /* an empty database visits nothing */
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(store_iterate(s, NULL, UV_DB_CUSTOMERS, NULL, 0, 0, collect_one, &c, e),
                     UVS_OK);
    ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(store_get_put_del)
{
    struct uv_store *s = &sctx->store;
    struct uv_error *e = &sctx->err;
    char buf[64];
    size_t len = 12345;

    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "nobody", 6, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);
    ck_assert_uint_eq(len, 12345); /* untouched */
    ck_assert_int_eq(store_del(s, NULL, UV_DB_CUSTOMERS, "nobody", 6, e), UVS_NOTFOUND);

    ck_assert_int_eq(store_put(s, NULL, UV_DB_CUSTOMERS, "k1", 2, "first", 5, 1, e), UVS_OK);
    ck_assert_int_eq(store_put(s, NULL, UV_DB_CUSTOMERS, "k1", 2, "second", 6, 1, e), UVS_EXISTS);
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "k1", 2, buf, sizeof buf, &len, 0, e),
                     UVS_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(buf, "first", 5); /* the refused put changed nothing */
    /* overwrite allowed without nooverwrite */
    ck_assert_int_eq(store_put(s, NULL, UV_DB_CUSTOMERS, "k1", 2, "second", 6, 0, e), UVS_OK);
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "k1", 2, buf, sizeof buf, &len, 0, e),
                     UVS_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(buf, "second", 6);
    /* keys are raw bytes: "k1" and "k1\0" differ */
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "k1", 3, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);
    /* a value larger than the buffer is an error, not a truncation */
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "k1", 2, buf, 3, &len, 0, e), UVS_STORE);
    /* the same key in another database is independent */
    ck_assert_int_eq(store_get(s, NULL, UV_DB_TARIFFS, "k1", 2, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);
    ck_assert_int_eq(store_del(s, NULL, UV_DB_CUSTOMERS, "k1", 2, e), UVS_OK);
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "k1", 2, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);

    /* records: put_rec/get_rec and a damaged record */
    struct rec_customer c, back;
    make_customer(&c);
    ck_assert_int_eq(store_put_rec(s, NULL, UV_DB_CUSTOMERS, "C001", 4, &rec_customer_layout, &c,
                                   1, e),
                     UVS_OK);
    ck_assert_int_eq(store_get_rec(s, NULL, UV_DB_CUSTOMERS, "C001", 4, &rec_customer_layout,
                                   &back, 0, e),
                     UVS_OK);
    ck_assert_mem_eq(&c, &back, sizeof c);
    ck_assert_int_eq(store_put(s, NULL, UV_DB_CUSTOMERS, "C002", 4, "\x02junk", 5, 1, e), UVS_OK);
    ck_assert_int_eq(store_get_rec(s, NULL, UV_DB_CUSTOMERS, "C002", 4, &rec_customer_layout,
                                   &back, 0, e),
                     UVS_STORE);
    ck_assert_ptr_nonnull(strstr(e->message, "damaged"));
    /* an unencodable record is refused before reaching the database */
    memset(c.name, 'x', sizeof c.name);
    ck_assert_int_eq(store_put_rec(s, NULL, UV_DB_CUSTOMERS, "C003", 4, &rec_customer_layout, &c,
                                   1, e),
                     UVS_INPUT);
    ck_assert_int_eq(store_get(s, NULL, UV_DB_CUSTOMERS, "C003", 4, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);
}
END_TEST

START_TEST(store_transactions_and_persistence)
{
    struct uv_store *s = &sctx->store;
    struct uv_error *e = &sctx->err;
    char buf[64];
    size_t len = 0;
    DB_TXN *txn;

    /* autocommitted (NULL txn) */
    ck_assert_int_eq(store_put(s, NULL, UV_DB_TARIFFS, "auto", 4, "A", 1, 1, e), UVS_OK);
    /* committed */
    ck_assert_int_eq(store_begin(s, &txn, e), UVS_OK);
    ck_assert_int_eq(store_put(s, txn, UV_DB_TARIFFS, "commit", 6, "C", 1, 1, e), UVS_OK);
    ck_assert_int_eq(store_meta_put(s, txn, "test.meta", "M", 1, e), UVS_OK);
    ck_assert_int_eq(store_commit(s, txn, e), UVS_OK);
    /* aborted: visible inside its transaction only */
    ck_assert_int_eq(store_begin(s, &txn, e), UVS_OK);
    ck_assert_int_eq(store_put(s, txn, UV_DB_TARIFFS, "abort", 5, "X", 1, 1, e), UVS_OK);
    ck_assert_int_eq(store_get(s, txn, UV_DB_TARIFFS, "abort", 5, buf, sizeof buf, &len, 1, e),
                     UVS_OK);
    ck_assert_int_eq(store_del(s, txn, UV_DB_TARIFFS, "auto", 4, e), UVS_OK);
    store_abort(txn);
    ck_assert_int_eq(store_get(s, NULL, UV_DB_TARIFFS, "abort", 5, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);

    tu_kiosk_reopen(sctx);
    s = &sctx->store;
    ck_assert_int_eq(store_get(s, NULL, UV_DB_TARIFFS, "auto", 4, buf, sizeof buf, &len, 0, e),
                     UVS_OK); /* the aborted delete did not happen */
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(buf[0], 'A');
    ck_assert_int_eq(store_get(s, NULL, UV_DB_TARIFFS, "commit", 6, buf, sizeof buf, &len, 0, e),
                     UVS_OK);
    ck_assert_int_eq(buf[0], 'C');
    ck_assert_int_eq(store_meta_get(s, NULL, "test.meta", buf, sizeof buf, &len, 0, e), UVS_OK);
    ck_assert_int_eq(buf[0], 'M');
    ck_assert_int_eq(store_get(s, NULL, UV_DB_TARIFFS, "abort", 5, buf, sizeof buf, &len, 0, e),
                     UVS_NOTFOUND);
}
END_TEST

START_TEST(store_open_refusals)
{
    struct uv_store st2;
    struct uv_error e;
    char *dir = tu_mkdtemp();
    char path[4200];
    /* a missing directory without create */
    snprintf(path, sizeof path, "%s/none", dir);
    ck_assert_int_eq(store_open(&st2, path, 0, &e), UVS_NOTFOUND);
    /* a file where the directory should be */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(store_open(&st2, path, 1, &e), UVS_INPUT);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("codec");
    tcase_add_loop_test(tc, roundtrip_every_layout, 0, (int)N_SAMPLES);
    tcase_add_test(tc, wire_format_is_pinned);
    tcase_add_test(tc, empty_strings_are_omitted);
    tcase_add_test(tc, unknown_tags_are_skipped);
    tcase_add_test(tc, decode_refuses_bad_version_and_headers);
    tcase_add_test(tc, decode_refuses_length_overrun);
    tcase_add_test(tc, decode_refuses_bad_strings);
    tcase_add_test(tc, decode_refuses_bad_integers_and_bytes);
    tcase_add_test(tc, decode_integer_values_little_endian);
    tcase_add_test(tc, encode_refusals);
    tcase_add_test(tc, u64_keys);
    tcase_add_loop_test(tc, fuzz_decode_never_crashes, 0, (int)N_SAMPLES);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, store_setup, store_teardown);
    tcase_add_test(tc, store_counters);
    tcase_add_test(tc, store_iterate_orders);
    tcase_add_test(tc, store_get_put_del);
    tcase_add_test(tc, store_transactions_and_persistence);
    tcase_add_test(tc, store_open_refusals);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
