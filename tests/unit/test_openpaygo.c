/* test_openpaygo.c — the OpenPAYGO Token algorithm and driver.
 *
 * Vectors:
 *  - SipHash-2-4: Aumasson & Bernstein, "SipHash: a fast short-input PRF"
 *    (2012), Appendix A: key 00..0f, message 00..0e -> a129ca6149be45e5.
 *  - OpenPAYGO Token: EnAccess/OpenPAYGO-python, test/test_tokens.jsonl
 *    (written by utils/generate_test_tokens.py, checked by
 *    test/test_decoder.py): two devices (TEST220000001: key
 *    bc41ec9530f6dac86b1a29ab82edc5fb, starting code 516959010, count 1;
 *    TEST240000002: key dac86b1a29ab82edc5fbbc41ec9530f6, starting code
 *    432435255, count 10), each ADD_TIME and SET_TIME with values 1, 2, 5 and
 *    995, DISABLE_PAYG and COUNTER_SYNC, each in the four formats (standard /
 *    extended, full / restricted digit set): 80 tokens with their new count.
 *  - OpenPAYGO Token quick device test ("scenario 1"), EnAccess/OpenPAYGO-docs
 *    docs/openpaygo-token/setting_up_openpaygo.md: starting code 123456789,
 *    key a29ab82edc5fbbc41ec9530f6dac86b1, device count 0: 123456789 invalid,
 *    662486790 add 1, the same again refused, 927706818 add 29, 942433796
 *    set 7, 650975787 PAYG disable, 592185789 set 0.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "masterdata.h"
#include "openpaygo_token.h"
#include "params.h"
#include "receipt.h"
#include "testutil.h"
#include "typeindex.h"
#include "vend.h"

static void hex16(const char *h, uint8_t k[16])
{
    for (int i = 0; i < 16; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        k[i] = (uint8_t)v;
    }
}

static opg_device device(const char *key_hex, uint32_t starting_code, int extended,
                         int restricted)
{
    opg_device d;
    memset(&d, 0, sizeof d);
    hex16(key_hex, d.key);
    d.starting_code = starting_code;
    d.extended = extended;
    d.restricted = restricted;
    return d;
}

/* ---- SipHash-2-4 -------------------------------------------------------- */

START_TEST(test_siphash_paper_vector)
{
    uint8_t k[16], m[15];
    for (int i = 0; i < 16; i++)
        k[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        m[i] = (uint8_t)i;
    uint64_t h = 0;
    ck_assert_int_eq(opg_siphash24(k, m, sizeof m, &h), OPG_OK);
    ck_assert_uint_eq(h, UINT64_C(0xa129ca6149be45e5));
    /* bad arguments */
    ck_assert_int_eq(opg_siphash24(NULL, m, sizeof m, &h), OPG_ERR_ARG);
    ck_assert_int_eq(opg_siphash24(k, NULL, 1, &h), OPG_ERR_ARG);
    ck_assert_int_eq(opg_siphash24(k, m, sizeof m, NULL), OPG_ERR_ARG);
    ck_assert_int_eq(opg_siphash24(k, NULL, 0, &h), OPG_OK); /* empty message */
}
END_TEST

/* ---- the official token vectors --------------------------------------- */

struct vec {
    int dev;           /* 0: TEST220000001, 1: TEST240000002 */
    opg_type type;
    uint32_t value;    /* value_raw; 0 for DISABLE_PAYG / COUNTER_SYNC */
    int extended, restricted;
    const char *token;
};

static const struct {
    const char *key;
    uint32_t starting_code, count;
} vec_dev[2] = {
    {"bc41ec9530f6dac86b1a29ab82edc5fb", 516959010, 1},
    {"dac86b1a29ab82edc5fbbc41ec9530f6", 432435255, 10},
};

/* test_tokens.jsonl, in file order: per device, per case, the formats
   (standard full, extended full, standard restricted, extended restricted). */
#define V4(d, t, v, a, b, c, e)                                                            \
    {d, t, v, 0, 0, a}, {d, t, v, 1, 0, b}, {d, t, v, 0, 1, c}, {d, t, v, 1, 1, e}
static const struct vec vecs[] = {
    V4(0, OPG_ADD, 1, "588224011", "247264959011", "314114432231134", "14323213131442331314"),
    V4(0, OPG_ADD, 2, "639704012", "088026959012", "323131212344141", "12212443421141413321"),
    V4(0, OPG_ADD, 5, "177073015", "507849959015", "133314243342424", "24231443142423232324"),
    V4(0, OPG_ADD, 995, "944829005", "202207960005", "431221144132142", "13441221313132344122"),
    V4(0, OPG_SET, 1, "380589011", "660362959011", "223334422144214", "32324111341412313314"),
    V4(0, OPG_SET, 2, "618165012", "250408959012", "321423124141221", "14332142313224411321"),
    V4(0, OPG_SET, 5, "691966015", "925720959015", "332144332111444", "42243132212142311324"),
    V4(0, OPG_SET, 995, "586420005", "765385960005", "313442111441322", "34131421314343332122"),
    V4(0, OPG_DISABLE_PAYG, 0, "190942008", "696672960008", "134231231341431",
       "33131421441234431131"),
    V4(0, OPG_COUNTER_SYNC, 0, "160440009", "673729960009", "132321112434132",
       "32414242234422312132"),
    V4(1, OPG_ADD, 1, "579194256", "190546435256", "313312241423211", "13412242241442413431"),
    V4(1, OPG_ADD, 2, "134447257", "504100435257", "131111431113232", "24222243343314221432"),
    V4(1, OPG_ADD, 5, "589568260", "406910435260", "314132112321121", "22433442411124443441"),
    V4(1, OPG_ADD, 995, "379163250", "750811436250", "223323232132413", "33434144423222214233"),
    V4(1, OPG_SET, 1, "241554256", "507297435256", "143232242142211", "24231242213131432431"),
    V4(1, OPG_SET, 2, "628716257", "358184435257", "322243224134312", "22142322242134431432"),
    V4(1, OPG_SET, 5, "519034260", "683979435260", "243434442223221", "32442111223243414441"),
    V4(1, OPG_SET, 995, "664193250", "131362436250", "324322341314313", "12433222414434213233"),
    V4(1, OPG_DISABLE_PAYG, 0, "418174253", "523765436253", "231434142221342",
       "24324413423321442242"),
    V4(1, OPG_COUNTER_SYNC, 0, "648453254", "059963436254", "323332332413123",
       "11424423123223414243"),
};
#define N_VECS ((int)(sizeof vecs / sizeof vecs[0]))

static uint32_t vec_new_count(const struct vec *v)
{
    uint32_t c = vec_dev[v->dev].count;
    /* the file's new_count: device 1 from 1: ADD 2, others 3; device 2 from
       10: ADD 12, others 11 */
    if (v->type == OPG_ADD)
        return c % 2 ? c + 1 : c + 2;
    return c % 2 ? c + 2 : c + 1;
}

START_TEST(test_official_vectors_generate)
{
    const struct vec *v = &vecs[_i];
    opg_device d = device(vec_dev[v->dev].key, vec_dev[v->dev].starting_code, v->extended,
                          v->restricted);
    char out[OPG_TOKEN_TEXT_MAX + 1];
    uint32_t n = 0;
    ck_assert_int_eq(opg_generate(&d, vec_dev[v->dev].count, v->type, v->value, &n, out,
                                  sizeof out),
                     OPG_OK);
    ck_assert_msg(strcmp(out, v->token) == 0, "vector %d: %s, expected %s", _i, out, v->token);
    ck_assert_uint_eq(n, vec_new_count(v));
    ck_assert_uint_eq(n, v->dev == 0 ? (v->type == OPG_ADD ? 2 : 3)
                                     : (v->type == OPG_ADD ? 12 : 11));
}
END_TEST

START_TEST(test_official_vectors_decode)
{
    const struct vec *v = &vecs[_i];
    opg_device d = device(vec_dev[v->dev].key, vec_dev[v->dev].starting_code, v->extended,
                          v->restricted);
    uint32_t max = vec_dev[v->dev].count;
    uint16_t used = 0;
    opg_token t;
    ck_assert_int_eq(opg_device_decode(&d, v->token, &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(t.count, vec_new_count(v));
    ck_assert_uint_eq(max, t.count);
    uint32_t want_value = v->type == OPG_DISABLE_PAYG   ? OPG_PAYG_DISABLE_VALUE
                          : v->type == OPG_COUNTER_SYNC ? OPG_COUNTER_SYNC_VALUE
                                                        : v->value;
    ck_assert_uint_eq(t.value, want_value);
    /* the extended format tells only ADD (even) from SET (odd), as the
       reference decoder does; the standard one names all four types */
    opg_type want_type = v->extended ? (v->type == OPG_ADD ? OPG_ADD : OPG_SET) : v->type;
    ck_assert_int_eq(t.type, want_type);
    /* the same token a second time is refused as used; except a counter
       sync, which the standard accepts again (it only moves the count up) */
    if (v->type == OPG_COUNTER_SYNC && !v->extended) {
        ck_assert_int_eq(opg_device_decode(&d, v->token, &max, &used, &t), OPG_OK);
        ck_assert_uint_eq(max, vec_new_count(v));
    } else {
        ck_assert_int_eq(opg_device_decode(&d, v->token, &max, &used, &t), OPG_ERR_USED);
    }
}
END_TEST

/* The quick device test of the OpenPAYGO documentation, in order. */
START_TEST(test_official_quick_test_scenario)
{
    opg_device d = device("a29ab82edc5fbbc41ec9530f6dac86b1", 123456789, 0, 0);
    uint32_t max = 0;
    uint16_t used = 0;
    opg_token t;
    ck_assert_int_eq(opg_device_decode(&d, "123456789", &max, &used, &t), OPG_ERR_INVALID);
    ck_assert_int_eq(opg_device_decode(&d, "662486790", &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_ADD);
    ck_assert_uint_eq(t.value, 1);
    ck_assert_int_eq(opg_device_decode(&d, "662486790", &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, "927706818", &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_ADD);
    ck_assert_uint_eq(t.value, 29);
    ck_assert_int_eq(opg_device_decode(&d, "942433796", &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_SET);
    ck_assert_uint_eq(t.value, 7);
    ck_assert_int_eq(opg_device_decode(&d, "650975787", &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_DISABLE_PAYG);
    ck_assert_uint_eq(t.value, 998);
    ck_assert_int_eq(opg_device_decode(&d, "592185789", &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_SET);
    ck_assert_uint_eq(t.value, 0);
    ck_assert_uint_eq(max, 9);

    /* and the server side makes the same tokens from the same counts */
    char out[16];
    uint32_t n;
    ck_assert_int_eq(opg_generate(&d, 0, OPG_ADD, 1, &n, out, sizeof out), OPG_OK);
    ck_assert_str_eq(out, "662486790");
    ck_assert_int_eq(opg_generate(&d, n, OPG_ADD, 29, &n, out, sizeof out), OPG_OK);
    ck_assert_str_eq(out, "927706818");
    ck_assert_int_eq(opg_generate(&d, n, OPG_SET, 7, &n, out, sizeof out), OPG_OK);
    ck_assert_str_eq(out, "942433796");
    ck_assert_int_eq(opg_generate(&d, n, OPG_DISABLE_PAYG, 0, &n, out, sizeof out), OPG_OK);
    ck_assert_str_eq(out, "650975787");
    ck_assert_int_eq(opg_generate(&d, n, OPG_SET, 0, &n, out, sizeof out), OPG_OK);
    ck_assert_str_eq(out, "592185789");
    ck_assert_uint_eq(n, 9);
}
END_TEST

/* ---- counts, round trips, window ---------------------------------------- */

START_TEST(test_count_parity)
{
    uint32_t n;
    ck_assert_int_eq(opg_next_count(1, OPG_ADD, &n), OPG_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(opg_next_count(2, OPG_ADD, &n), OPG_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(opg_next_count(1, OPG_SET, &n), OPG_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(opg_next_count(2, OPG_SET, &n), OPG_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(opg_next_count(2, OPG_DISABLE_PAYG, &n), OPG_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(opg_next_count(3, OPG_COUNTER_SYNC, &n), OPG_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(opg_next_count(OPG_COUNT_MAX - 1, OPG_SET, &n), OPG_OK);
    ck_assert_uint_eq(n, OPG_COUNT_MAX);
    ck_assert_int_eq(opg_next_count(OPG_COUNT_MAX - 1, OPG_ADD, &n), OPG_ERR_RANGE);
    ck_assert_int_eq(opg_next_count(OPG_COUNT_MAX + 1, OPG_ADD, &n), OPG_ERR_RANGE);
    ck_assert_int_eq(opg_next_count(1, (opg_type)0, &n), OPG_ERR_ARG);
    ck_assert_int_eq(opg_next_count(1, (opg_type)5, &n), OPG_ERR_ARG);
    ck_assert_int_eq(opg_next_count(1, OPG_ADD, NULL), OPG_ERR_ARG);
}
END_TEST

START_TEST(test_round_trip_all_formats)
{
    /* no vector: every type and a spread of values, in all four formats */
    static const uint32_t values[] = {0, 1, 7, 99, 500, 994, 995};
    for (int fmt = 0; fmt < 4; fmt++) {
        opg_device d = device("0123456789abcdeffedcba9876543210", 987654321, fmt & 1, fmt >> 1);
        uint32_t count = 1, max = 1;
        uint16_t used = 0;
        for (int ty = OPG_ADD; ty <= OPG_COUNTER_SYNC; ty++) {
            for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
                uint32_t val = ty <= OPG_SET ? values[i] : 0;
                char out[OPG_TOKEN_TEXT_MAX + 1];
                uint32_t n;
                ck_assert_int_eq(opg_generate(&d, count, (opg_type)ty, val, &n, out, sizeof out),
                                 OPG_OK);
                opg_token t;
                ck_assert_int_eq(opg_find(&d, out, 1, n, &t), OPG_OK);
                ck_assert_uint_eq(t.count, n);
                ck_assert_int_eq(opg_device_decode(&d, out, &max, &used, &t), OPG_OK);
                ck_assert_uint_eq(t.count, n);
                if (ty <= OPG_SET)
                    ck_assert_uint_eq(t.value, val);
                if (!d.extended)
                    ck_assert_int_eq(t.type, ty);
                count = n;
                if (ty > OPG_SET)
                    break;
            }
        }
    }
    /* extended values above the standard range */
    opg_device e = device("0123456789abcdeffedcba9876543210", 987654321, 1, 0);
    char out[OPG_TOKEN_TEXT_MAX + 1];
    uint32_t n, max = 1;
    uint16_t used = 0;
    opg_token t;
    ck_assert_int_eq(opg_generate(&e, 1, OPG_ADD, 999999, &n, out, sizeof out), OPG_OK);
    ck_assert_int_eq(opg_device_decode(&e, out, &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(t.value, 999999);
    ck_assert_int_eq(opg_generate(&e, 1, OPG_ADD, 1000000, &n, out, sizeof out), OPG_ERR_RANGE);
}
END_TEST

static void gen(const opg_device *d, uint32_t count, opg_type type, uint32_t value, char *out,
                uint32_t *n)
{
    ck_assert_int_eq(opg_generate(d, count, type, value, n, out, OPG_TOKEN_TEXT_MAX + 1), OPG_OK);
}

START_TEST(test_window_ahead)
{
    opg_device d = device("a29ab82edc5fbbc41ec9530f6dac86b1", 123456789, 0, 0);
    char tok[32];
    uint32_t n;
    opg_token t;
    /* an ADD at count 66 is 64 ahead of 2: accepted; at 68, too far */
    gen(&d, 64, OPG_ADD, 3, tok, &n);
    ck_assert_uint_eq(n, 66);
    uint32_t max = 2;
    uint16_t used = 0;
    ck_assert_int_eq(opg_device_decode(&d, tok, &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(max, 66);
    gen(&d, 66, OPG_ADD, 3, tok, &n);
    ck_assert_uint_eq(n, 68);
    max = 2;
    used = 0;
    ck_assert_int_eq(opg_device_decode(&d, tok, &max, &used, &t), OPG_ERR_INVALID);
    ck_assert_uint_eq(max, 2); /* nothing changed */
    /* a counter sync may jump up to 100 */
    gen(&d, 98, OPG_COUNTER_SYNC, 0, tok, &n);
    ck_assert_uint_eq(n, 99);
    max = 2;
    ck_assert_int_eq(opg_device_decode(&d, tok, &max, &used, &t), OPG_OK);
    ck_assert_int_eq(t.type, OPG_COUNTER_SYNC);
    ck_assert_uint_eq(max, 99);
    gen(&d, 102, OPG_COUNTER_SYNC, 0, tok, &n);
    ck_assert_uint_eq(n, 103);
    max = 2;
    ck_assert_int_eq(opg_device_decode(&d, tok, &max, &used, &t), OPG_ERR_INVALID);
    /* opg_find: only the range asked */
    gen(&d, 10, OPG_ADD, 5, tok, &n);
    ck_assert_int_eq(opg_find(&d, tok, 1, 11, &t), OPG_ERR_INVALID);
    ck_assert_int_eq(opg_find(&d, tok, 13, 20, &t), OPG_ERR_INVALID);
    ck_assert_int_eq(opg_find(&d, tok, 12, 12, &t), OPG_OK);
}
END_TEST

START_TEST(test_window_behind_and_replay)
{
    opg_device d = device("a29ab82edc5fbbc41ec9530f6dac86b1", 123456789, 0, 0);
    char add[10][16], set1[16], old_set[16];
    uint32_t c = 1, n;
    opg_token t;
    /* the server makes ADD tokens at counts 2, 4, ..., 20 */
    for (int i = 0; i < 10; i++) {
        gen(&d, c, OPG_ADD, (uint32_t)i + 1, add[i], &n);
        c = n;
    }
    ck_assert_uint_eq(c, 20);
    /* the device gets the last one first, then older ones out of order:
       up to 16 counts back they are accepted, once each */
    uint32_t max = 1;
    uint16_t used = 0;
    ck_assert_int_eq(opg_device_decode(&d, add[9], &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(max, 20);
    ck_assert_int_eq(opg_device_decode(&d, add[8], &max, &used, &t), OPG_OK); /* 18 */
    ck_assert_uint_eq(t.count, 18);
    ck_assert_int_eq(opg_device_decode(&d, add[8], &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, add[2], &max, &used, &t), OPG_OK); /* 6 > 20-16 */
    ck_assert_int_eq(opg_device_decode(&d, add[2], &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, add[1], &max, &used, &t), OPG_ERR_USED); /* 4: too old */
    ck_assert_int_eq(opg_device_decode(&d, add[0], &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, add[9], &max, &used, &t), OPG_ERR_USED);
    /* a newer ADD moves the window and keeps what was used */
    char next[16];
    gen(&d, 20, OPG_ADD, 1, next, &n);
    ck_assert_int_eq(opg_device_decode(&d, next, &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(max, 22);
    ck_assert_int_eq(opg_device_decode(&d, add[8], &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, add[7], &max, &used, &t), OPG_OK); /* 16, unused */
    /* an older SET token is never accepted */
    gen(&d, 22, OPG_SET, 4, set1, &n); /* count 23 */
    gen(&d, 23, OPG_ADD, 4, next, &n); /* count 24 */
    ck_assert_int_eq(opg_device_decode(&d, next, &max, &used, &t), OPG_OK);
    ck_assert_int_eq(opg_device_decode(&d, set1, &max, &used, &t), OPG_ERR_USED);
    /* a SET retires every older ADD, even unused ones */
    gen(&d, 24, OPG_SET, 2, old_set, &n);
    ck_assert_int_eq(opg_device_decode(&d, old_set, &max, &used, &t), OPG_OK);
    ck_assert_uint_eq(max, 25);
    ck_assert_uint_eq(used, 0xFFFF);
    ck_assert_int_eq(opg_device_decode(&d, add[6], &max, &used, &t), OPG_ERR_USED);
    ck_assert_int_eq(opg_device_decode(&d, add[5], &max, &used, &t), OPG_ERR_USED);
}
END_TEST

START_TEST(test_starting_code_from_key)
{
    /* no official vector publishes a derived starting code; check the
       definition (SipHash-2-4 of the key under itself, reduced like a code)
       against the parts it is built from */
    uint8_t k[16];
    hex16("bc41ec9530f6dac86b1a29ab82edc5fb", k);
    uint32_t sc = 0;
    uint64_t h;
    ck_assert_int_eq(opg_starting_code_from_key(k, &sc), OPG_OK);
    ck_assert_int_eq(opg_siphash24(k, k, 16, &h), OPG_OK);
    uint32_t x = ((uint32_t)(h >> 32) ^ (uint32_t)h) >> 2;
    ck_assert_uint_eq(sc, x > 999999999 ? x - 73741825 : x);
    ck_assert_uint_le(sc, OPG_STARTING_CODE_MAX);
    ck_assert_int_eq(opg_starting_code_from_key(NULL, &sc), OPG_ERR_ARG);
    ck_assert_int_eq(opg_starting_code_from_key(k, NULL), OPG_ERR_ARG);
}
END_TEST

START_TEST(test_bad_input_refused)
{
    opg_device d = device("a29ab82edc5fbbc41ec9530f6dac86b1", 123456789, 0, 0);
    char out[32];
    uint32_t n, max = 1;
    uint16_t used = 0;
    opg_token t;
    uint64_t v;
    ck_assert_int_eq(opg_generate(NULL, 1, OPG_ADD, 1, &n, out, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_ADD, 1, NULL, out, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_ADD, 1, &n, NULL, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_ADD, 1, &n, out, 9), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_ADD, 996, &n, out, sizeof out), OPG_ERR_RANGE);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_SET, 998, &n, out, sizeof out), OPG_ERR_RANGE);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_DISABLE_PAYG, 5, &n, out, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, OPG_COUNTER_SYNC, 1, &n, out, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, 1, (opg_type)9, 1, &n, out, sizeof out), OPG_ERR_ARG);
    ck_assert_int_eq(opg_generate(&d, OPG_COUNT_MAX, OPG_ADD, 1, &n, out, sizeof out),
                     OPG_ERR_RANGE);
    opg_device bad = d;
    bad.starting_code = 1000000000;
    ck_assert_int_eq(opg_generate(&bad, 1, OPG_ADD, 1, &n, out, sizeof out), OPG_ERR_ARG);
    bad = d;
    bad.extended = 2;
    ck_assert_int_eq(opg_generate(&bad, 1, OPG_ADD, 1, &n, out, sizeof out), OPG_ERR_ARG);
    bad = d;
    bad.restricted = -1;
    ck_assert_int_eq(opg_find(&bad, "662486790", 1, 10, &t), OPG_ERR_ARG);

    /* token text */
    static const char *bad_text[] = {"", "66248679", "6624867900", "66248679a", " 662486790",
                                     "662 486 790", "-62486790", "66248679\x01"};
    for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
        ck_assert_int_eq(opg_parse(&d, bad_text[i], &v), OPG_ERR_FORMAT);
        ck_assert_int_eq(opg_device_decode(&d, bad_text[i], &max, &used, &t), OPG_ERR_FORMAT);
        ck_assert_int_eq(opg_find(&d, bad_text[i], 1, 10, &t), OPG_ERR_FORMAT);
    }
    opg_device r = d;
    r.restricted = 1;
    ck_assert_int_eq(opg_parse(&r, "314114432231134", &v), OPG_OK);
    ck_assert_int_eq(opg_parse(&r, "314114432231135", &v), OPG_ERR_FORMAT);
    ck_assert_int_eq(opg_parse(&r, "014114432231134", &v), OPG_ERR_FORMAT);
    ck_assert_int_eq(opg_parse(&r, "662486790", &v), OPG_ERR_FORMAT);
    ck_assert_int_eq(opg_parse(&d, "999999999", &v), OPG_OK);
    ck_assert_int_eq(opg_parse(&d, NULL, &v), OPG_ERR_ARG);
    ck_assert_int_eq(opg_parse(NULL, "662486790", &v), OPG_ERR_ARG);
    ck_assert_int_eq(opg_parse(&d, "662486790", NULL), OPG_ERR_ARG);
    /* restricted tokens that reach above 999,999,999 are simply not found */
    ck_assert_int_eq(opg_find(&r, "444444444444444", 1, 64, &t), OPG_ERR_INVALID);

    ck_assert_int_eq(opg_find(&d, "662486790", 5, 4, &t), OPG_ERR_ARG);
    ck_assert_int_eq(opg_find(&d, "662486790", 1, 10, NULL), OPG_ERR_ARG);
    ck_assert_int_eq(opg_device_decode(&d, "662486790", NULL, &used, &t), OPG_ERR_ARG);
    ck_assert_int_eq(opg_device_decode(&d, "662486790", &max, NULL, &t), OPG_ERR_ARG);
    max = OPG_COUNT_MAX + 1;
    ck_assert_int_eq(opg_device_decode(&d, "662486790", &max, &used, &t), OPG_ERR_RANGE);
    /* a huge search is capped, not run for ever */
    ck_assert_int_eq(opg_find(&d, "123456780", 1, UINT32_MAX, &t), OPG_ERR_INVALID);
    ck_assert_int_eq(opg_next_code(NULL, 1, &n), OPG_ERR_ARG);
    ck_assert_int_eq(opg_next_code(d.key, 1, NULL), OPG_ERR_ARG);
    ck_assert_int_eq(opg_next_code_ext(NULL, 1, &v), OPG_ERR_ARG);
    ck_assert_str_eq(opg_strerror(OPG_ERR_USED), "token was already used or is too old");
    ck_assert_str_eq(opg_strerror((opg_rc)77), "unknown error");
}
END_TEST

/* ---- the driver, loaded from build/drivers/openpaygo.so ---------------- */

#define QT_KEY "a29ab82edc5fbbc41ec9530f6dac86b1" /* the quick test's key */

static struct {
    const char *ref;
    uint8_t key[32];
    size_t len;
} keyring[4];
static int n_keyring;

static int svc_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    (void)host;
    for (int i = 0; i < n_keyring; i++) {
        if (strcmp(keyring[i].ref, ref) != 0)
            continue;
        *len = keyring[i].len;
        if (buf == NULL)
            return UV_OK;
        if (cap < keyring[i].len)
            return UV_E_BUFFER_TOO_SMALL;
        memcpy(buf, keyring[i].key, keyring[i].len);
        return UV_OK;
    }
    return UV_E_KEY_MISSING;
}
static void svc_log(void *host, int level, const char *message)
{
    (void)host;
    (void)level;
    (void)message;
}
static int64_t svc_now(void *host)
{
    (void)host;
    return 1700000000;
}
static int svc_random(void *host, void *buf, size_t len)
{
    (void)host;
    memset(buf, 0x5a, len);
    return UV_OK;
}
static void svc_wipe(void *buf, size_t len)
{
    explicit_bzero(buf, len);
}
static const struct uv_host_services svc = {
    .struct_size = sizeof(struct uv_host_services),
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .log = svc_log,
    .now = svc_now,
    .random = svc_random,
    .key_get = svc_key_get,
    .wipe = svc_wipe,
};

static void *so;
static const struct uv_driver *drv;
static void *dctx;

static void driver_setup(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/openpaygo.so", tu_driver_dir());
    so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(so != NULL, "dlopen %s: %s", path, dlerror());
    uv_driver_entry_fn entry = (uv_driver_entry_fn)dlsym(so, UV_DRIVER_ENTRY_NAME);
    ck_assert_ptr_nonnull(entry);
    drv = entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    ck_assert_ptr_nonnull(drv);
    ck_assert_ptr_null(entry(UV_ABI_MAJOR + 1, 0));
    n_keyring = 0;
    keyring[n_keyring].ref = "opaygo:123456789";
    hex16(QT_KEY, keyring[n_keyring].key);
    keyring[n_keyring++].len = 16;
    keyring[n_keyring].ref = "opaygo:short";
    keyring[n_keyring++].len = 8;
    keyring[n_keyring].ref = "opaygo:TEST220000001";
    hex16("bc41ec9530f6dac86b1a29ab82edc5fb", keyring[n_keyring].key);
    keyring[n_keyring++].len = 16;
    ck_assert_int_eq(drv->open(&svc, NULL, NULL, 0, &dctx), UV_OK);
}

static void driver_teardown(void)
{
    drv->close(dctx);
    dlclose(so);
}

/* A meter view with up to 8 parameters and a state. */
struct tmeter {
    struct uv_meter m;
    struct uv_param p[8];
    uint8_t state[UV_STATE_MAX];
};

static void tmeter_init(struct tmeter *t, const char *number, const char *const *params)
{
    memset(t, 0, sizeof *t);
    t->m.struct_size = sizeof t->m;
    t->m.number = number;
    t->m.type_code = "OPAYGO";
    t->m.params = t->p;
    for (size_t i = 0; params && params[i]; i += 2) {
        t->p[i / 2].name = params[i];
        t->p[i / 2].value = params[i + 1];
        t->m.n_params++;
    }
    t->m.state = t->state;
}

static void tmeter_commit(struct tmeter *t, const struct uv_issue_result *r)
{
    memcpy(t->state, r->state, r->state_len);
    t->m.state_len = r->state_len;
}

static int credit(struct tmeter *t, uint32_t kind, uint64_t amount, struct uv_issue_result *r)
{
    struct uv_credit_request req = {sizeof req, kind, amount, 1};
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return drv->issue_credit(dctx, &t->m, &req, r);
}

static int mgmt(struct tmeter *t, uint32_t op, uint64_t arg, const struct uv_param *p, size_t n,
                struct uv_issue_result *r)
{
    struct uv_mgmt_request req = {sizeof req, op, arg, p, n};
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return drv->issue_mgmt(dctx, &t->m, &req, r);
}

static int decode(struct tmeter *t, const char *token, struct uv_token_info *ti)
{
    memset(ti, 0, sizeof *ti);
    ti->struct_size = sizeof *ti;
    return drv->decode_token(dctx, &t->m, token, ti);
}

static const char *const qt_params[] = {"starting_code", "123456789", NULL};

START_TEST(test_driver_descriptor_and_self_test)
{
    ck_assert_uint_eq(drv->magic, UV_DRIVER_MAGIC);
    ck_assert_str_eq(drv->name, "openpaygo");
    ck_assert_uint_eq(drv->media, UV_MEDIUM_VIRTUAL);
    ck_assert_str_eq(drv->type_codes[0], "OPAYGO");
    ck_assert_ptr_null(drv->type_codes[1]);
    ck_assert_ptr_null(drv->read_medium);
    ck_assert_int_eq(drv->self_test(&svc, NULL), UV_OK);
    ck_assert_str_eq(drv->last_error(NULL), "");
    ck_assert_ptr_nonnull(drv->strerror(12345678));
    void *c2 = NULL;
    struct uv_param opt = {"x", "y"};
    ck_assert_int_eq(drv->open(&svc, NULL, &opt, 1, &c2), UV_E_PARAM);
    ck_assert_int_eq(drv->open(NULL, NULL, NULL, 0, &c2), UV_E_ARG);
    ck_assert_int_eq(drv->open(&svc, NULL, NULL, 0, NULL), UV_E_ARG);
}
END_TEST

/* The official quick test's tokens, issued through the driver. */
START_TEST(test_driver_issues_official_tokens)
{
    struct tmeter t;
    struct uv_issue_result r;
    struct uv_token_info ti;
    struct uv_medium_info mi = {.struct_size = sizeof mi};
    tmeter_init(&t, "123456789", qt_params);
    ck_assert_int_eq(drv->verify(dctx, &t.m, &mi), UV_OK);
    ck_assert_ptr_nonnull(strstr(mi.summary, "OpenPAYGO"));
    ck_assert_str_eq(mi.meter_number, "123456789");
    /* 1.5 kWh -> one kWh unit, rounded down */
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 1500, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "662486790");
    ck_assert_uint_eq(r.amount_issued, 1000);
    ck_assert_uint_eq(r.n_tokens, 1);
    ck_assert_str_eq(r.token_id, "2");
    ck_assert_uint_eq(r.state_len, 5);
    ck_assert_uint_eq(r.state[0], 1);
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK); /* before the commit */
    ck_assert_uint_eq(ti.kind, UV_CREDIT_ELECTRICITY);
    ck_assert_uint_eq(ti.amount, 1000);
    ck_assert_uint_eq(ti.token_class, 0);
    tmeter_commit(&t, &r);
    ck_assert_int_eq(decode(&t, "6624 8679 0", &ti), UV_OK); /* after; grouped */
    ck_assert_ptr_nonnull(strstr(ti.description, "already issued"));
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 29000, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "927706818");
    tmeter_commit(&t, &r);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 7999, NULL, 0, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "942433796");
    ck_assert_uint_eq(r.amount_issued, 7000);
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.token_class, 2);
    ck_assert_uint_eq(ti.subclass, OPG_SET);
    ck_assert_uint_eq(ti.amount, 7000);
    tmeter_commit(&t, &r);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_UNLOCK, 0, NULL, 0, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "650975787");
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.subclass, OPG_DISABLE_PAYG);
    ck_assert_uint_eq(ti.amount, 0);
    tmeter_commit(&t, &r);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_DISABLE, 0, NULL, 0, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "592185789");
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.subclass, OPG_SET);
    ck_assert_uint_eq(ti.amount, 0);
    tmeter_commit(&t, &r);
    ck_assert_uint_eq(t.state[4], 9);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_VENDOR_BASE + 1, 0, NULL, 0, &r), UV_OK);
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.subclass, OPG_COUNTER_SYNC);
    ck_assert_str_eq(r.token_id, "11");
}
END_TEST

/* Official vector TEST220000001 through the driver: the new device's count
   is 1, as in the vector file. */
START_TEST(test_driver_official_vector_device)
{
    struct tmeter t;
    struct uv_issue_result r;
    static const char *const p[] = {"starting_code", "516959010", NULL};
    tmeter_init(&t, "TEST220000001", p);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 995000, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "944829005");
    ck_assert_int_eq(mgmt(&t, UV_MGMT_UNLOCK, 0, NULL, 0, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "190942008");
    ck_assert_int_eq(mgmt(&t, UV_MGMT_VENDOR_BASE + 1, 0, NULL, 0, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "160440009");
    /* restricted digit set, time mode in days */
    static const char *const pr[] = {"starting_code", "516959010", "digits", "restricted",
                                     "mode", "time", NULL};
    tmeter_init(&t, "TEST220000001", pr);
    ck_assert_int_eq(credit(&t, UV_CREDIT_TIME, 5 * 86400 + 3600, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "133314243342424");
    ck_assert_uint_eq(r.amount_issued, 5 * 86400);
    struct uv_token_info ti;
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.kind, UV_CREDIT_TIME);
    ck_assert_uint_eq(ti.amount, 5 * 86400);
    ck_assert_ptr_nonnull(strstr(ti.description, "ADD_TIME"));
    struct uv_param kp = {"kind", "time"};
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 2 * 86400, &kp, 1, &r), UV_OK);
    ck_assert_str_eq(r.tokens[0], "321423124141221");
    kp.value = "electricity";
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 2 * 86400, &kp, 1, &r), UV_E_UNSUPPORTED);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), UV_E_UNSUPPORTED);
}
END_TEST

START_TEST(test_driver_amounts_and_units)
{
    struct tmeter t;
    struct uv_issue_result r;
    tmeter_init(&t, "123456789", qt_params);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 999, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 0, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 995999, &r), UV_OK);
    ck_assert_uint_eq(r.amount_issued, 995000);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 996000, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, UINT64_MAX, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(credit(&t, UV_CREDIT_TIME, 86400, &r), UV_E_UNSUPPORTED);
    ck_assert_int_eq(credit(&t, UV_CREDIT_WATER, 1000, &r), UV_E_UNSUPPORTED);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 996000, NULL, 0, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 500, NULL, 0, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_DISABLE, 5, NULL, 0, &r), UV_E_ARG);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_UNLOCK, 5, NULL, 0, &r), UV_E_ARG);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_POWER_LIMIT, 100, NULL, 0, &r), UV_E_UNSUPPORTED);
    ck_assert_int_eq(mgmt(&t, UV_MGMT_KEY_CHANGE, 0, NULL, 0, &r), UV_E_UNSUPPORTED);
    struct uv_param kp = {"kind", "gas"};
    ck_assert_int_eq(mgmt(&t, UV_MGMT_SET_CREDIT, 1000, &kp, 1, &r), UV_E_PARAM);
    /* 0.1 kWh units: 99.5 kWh the most */
    static const char *const p100[] = {"starting_code", "123456789", "unit_wh", "100", NULL};
    tmeter_init(&t, "123456789", p100);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 28900, &r), UV_OK);
    ck_assert_uint_eq(r.amount_issued, 28900);
    struct uv_token_info ti;
    ck_assert_int_eq(decode(&t, r.tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.amount, 28900);
    ck_assert_ptr_nonnull(strstr(ti.description, "28.9 kWh electricity"));
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 99600, &r), UV_E_AMOUNT_RANGE);
    /* time mode, hours */
    static const char *const ph[] = {"mode", "time", "unit_s", "3600", NULL};
    tmeter_init(&t, "123456789", ph);
    ck_assert_int_eq(credit(&t, UV_CREDIT_TIME, 7200, &r), UV_OK);
    ck_assert_uint_eq(r.amount_issued, 7200);
}
END_TEST

START_TEST(test_driver_refusals)
{
    struct tmeter t;
    struct uv_issue_result r;
    struct uv_token_info ti;
    struct uv_medium_info mi = {.struct_size = sizeof mi};
    static const struct {
        const char *number;
        const char *const p[5];
        int rc;
    } bad[] = {
        {"123456789", {"starting_code", "1234567890", NULL}, UV_E_PARAM},
        {"123456789", {"starting_code", "12x", NULL}, UV_E_PARAM},
        {"123456789", {"starting_code", "", NULL}, UV_E_PARAM},
        {"123456789", {"mode", "water", NULL}, UV_E_PARAM},
        {"123456789", {"unit_wh", "0", NULL}, UV_E_PARAM},
        {"123456789", {"unit_wh", "1000000001", NULL}, UV_E_PARAM},
        {"123456789", {"unit_wh", "-5", NULL}, UV_E_PARAM},
        {"123456789", {"unit_s", "60", NULL}, UV_E_PARAM},
        {"123456789", {"mode", "time", "unit_wh", "100", NULL}, UV_E_PARAM},
        {"123456789", {"digits", "hex", NULL}, UV_E_PARAM},
        {"123456789", {"initial_count", "65536", NULL}, UV_E_PARAM},
        {"123456789", {"key", "", NULL}, UV_E_PARAM},
        {"", {NULL}, UV_E_METER_ID},
        {"12 34", {NULL}, UV_E_METER_ID},
        {"0123456789012345678901234567890123", {NULL}, UV_E_METER_ID},
        {"987654321", {NULL}, UV_E_KEY_MISSING},
        {"short", {NULL}, UV_E_KEY_INVALID},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tmeter_init(&t, bad[i].number, bad[i].p);
        ck_assert_msg(drv->verify(dctx, &t.m, &mi) == bad[i].rc, "case %zu: %d (%s)", i,
                      drv->verify(dctx, &t.m, &mi), drv->last_error(dctx));
        ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), bad[i].rc);
        ck_assert_int_eq(decode(&t, "662486790", &ti), bad[i].rc);
        ck_assert_str_ne(drv->last_error(dctx), "");
    }
    /* wrong type code */
    tmeter_init(&t, "123456789", qt_params);
    t.m.type_code = "STS-EA07";
    ck_assert_int_eq(drv->verify(dctx, &t.m, &mi), UV_E_PARAM);
    /* state: wrong length, version, count out of range */
    tmeter_init(&t, "123456789", qt_params);
    t.m.state_len = 4;
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), UV_E_STATE);
    t.m.state_len = 5;
    t.state[0] = 2;
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), UV_E_STATE);
    t.state[0] = 1;
    t.state[2] = 1; /* 65536 */
    ck_assert_int_eq(decode(&t, "662486790", &ti), UV_E_STATE);
    t.m.state = NULL;
    ck_assert_int_eq(drv->verify(dctx, &t.m, &mi), UV_E_STATE);
    /* the count used up */
    tmeter_init(&t, "123456789", qt_params);
    t.m.state_len = 5;
    t.state[0] = 1;
    t.state[3] = 0xFF;
    t.state[4] = 0xFE; /* 65534 */
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), UV_E_VENDOR_BASE + 1);
    ck_assert_ptr_nonnull(strstr(drv->strerror(UV_E_VENDOR_BASE + 1), "used up"));
    /* token text */
    tmeter_init(&t, "123456789", qt_params);
    static const char *bad_tok[] = {"", "12345678", "1234567890", "66248679x",
                                    "662486790662486790662486790662486790662486790662486790662"
                                    "486790662486790662486790662486790662486790"};
    for (size_t i = 0; i < sizeof bad_tok / sizeof bad_tok[0]; i++)
        ck_assert_int_eq(decode(&t, bad_tok[i], &ti), UV_E_TOKEN_FORMAT);
    /* a token of another device, a random one */
    ck_assert_int_eq(decode(&t, "588224011", &ti), UV_E_TOKEN_AUTH);
    ck_assert_int_eq(decode(&t, "123456780", &ti), UV_E_TOKEN_AUTH);
    /* NULLs and short structures */
    ck_assert_int_eq(drv->decode_token(dctx, &t.m, NULL, &ti), UV_E_ARG);
    ck_assert_int_eq(drv->decode_token(NULL, &t.m, "662486790", &ti), UV_E_ARG);
    ti.struct_size = 4;
    ck_assert_int_eq(drv->decode_token(dctx, &t.m, "662486790", &ti), UV_E_ARG);
    ck_assert_int_eq(drv->verify(dctx, NULL, &mi), UV_E_ARG);
    ck_assert_int_eq(drv->verify(NULL, &t.m, &mi), UV_E_ARG);
    ck_assert_int_eq(drv->issue_credit(dctx, &t.m, NULL, &r), UV_E_ARG);
    ck_assert_int_eq(drv->issue_mgmt(dctx, &t.m, NULL, &r), UV_E_ARG);
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 5000, 1};
    r.struct_size = 8;
    ck_assert_int_eq(drv->issue_credit(dctx, &t.m, &req, &r), UV_E_ARG);
    t.m.struct_size = 4;
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 5000, &r), UV_E_ARG);
}
END_TEST

/* The count window as the driver sees it from this kiosk's count. */
START_TEST(test_driver_count_window)
{
    struct tmeter t;
    struct uv_issue_result r;
    struct uv_token_info ti;
    opg_device d = device(QT_KEY, 123456789, 0, 0);
    char tok[16], old[UV_TOKEN_MAX + 1];
    uint32_t n;
    tmeter_init(&t, "123456789", qt_params);
    /* a genuine token 64 counts ahead of the kiosk is accepted, 66 is not */
    gen(&d, 63, OPG_ADD, 2, tok, &n);
    ck_assert_uint_eq(n, 64);
    ck_assert_int_eq(decode(&t, tok, &ti), UV_OK);
    gen(&d, 64, OPG_ADD, 2, tok, &n);
    ck_assert_uint_eq(n, 66);
    ck_assert_int_eq(decode(&t, tok, &ti), UV_E_TOKEN_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "ahead"));
    gen(&d, 96, OPG_COUNTER_SYNC, 0, tok, &n); /* 97: a sync may jump 100 */
    ck_assert_int_eq(decode(&t, tok, &ti), UV_OK);
    /* sales move the kiosk's count; 16 counts back a token is too old */
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 1000, &r), UV_OK);
    snprintf(old, sizeof old, "%s", r.tokens[0]);
    tmeter_commit(&t, &r);
    for (int i = 0; i < 7; i++) {
        ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 1000, &r), UV_OK);
        tmeter_commit(&t, &r);
    }
    ck_assert_uint_eq(t.state[4], 16);
    ck_assert_int_eq(decode(&t, old, &ti), UV_OK); /* count 2, last 16: 2 + 16 > 16 */
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 1000, &r), UV_OK);
    tmeter_commit(&t, &r);
    ck_assert_int_eq(decode(&t, old, &ti), UV_E_TOKEN_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "too old"));
    /* initial_count: a device moved from another system */
    static const char *const pic[] = {"starting_code", "123456789", "initial_count", "40", NULL};
    tmeter_init(&t, "123456789", pic);
    ck_assert_int_eq(credit(&t, UV_CREDIT_ELECTRICITY, 1000, &r), UV_OK);
    ck_assert_str_eq(r.token_id, "42");
}
END_TEST

/* ---- through the host: a real kiosk sells to an OpenPAYGO device ------- */

static struct uv_ctx *kiosk_with_opaygo(void)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    uint8_t key[16];
    hex16(QT_KEY, key);
    uv_status st = keys_add(ctx, "opaygo:123456789", key, sizeof key);
    ck_assert_msg(st == UVS_OK, "keys_add: %s", ctx->err.message);
    st = tu_register_signed(ctx, "openpaygo.so", NULL);
    ck_assert_msg(st == UVS_OK, "register: %s", ctx->err.message);
    /* 2.00 per kWh, no VAT: whole kWh for whole multiples of 2.00 */
    st = tariff_add(ctx, "SOLAR", "Solar home", "2.000", "0");
    ck_assert_msg(st == UVS_OK, "tariff: %s", ctx->err.message);
    struct rec_customer c = {.id = "C100", .name = "Solar Customer"};
    ck_assert(customer_add(ctx, &c) == UVS_OK);
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    strcpy(m.number, "123456789");
    strcpy(m.type_code, "OPAYGO");
    strcpy(m.customer, "C100");
    strcpy(m.tariff, "SOLAR");
    ck_assert(params_add(m.params, sizeof m.params, "starting_code=123456789", &ctx->err) ==
              UVS_OK);
    st = meter_add(ctx, &m, NULL);
    ck_assert_msg(st == UVS_OK, "meter_add: %s", ctx->err.message);
    return ctx;
}

START_TEST(test_host_sale_and_decode)
{
    struct uv_ctx *ctx = kiosk_with_opaygo();
    struct rec_receipt r, back;
    uv_status st = vend_sell(ctx, "123456789", "2.00", &r);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_uint_eq(r.energy_wh, 1000);
    ck_assert_uint_eq(r.n_tokens, 1);
    ck_assert_str_eq(r.tokens[0], "662486790"); /* the quick test's first token */
    ck_assert_str_eq(r.driver, "openpaygo");
    ck_assert(receipt_get(ctx, r.number, &back) == UVS_OK);
    ck_assert_str_eq(back.tokens[0], r.tokens[0]);
    struct uv_token_info ti;
    st = token_decode(ctx, "123456789", back.tokens[0], &ti);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_uint_eq(ti.kind, UV_CREDIT_ELECTRICITY);
    ck_assert_uint_eq(ti.amount, r.energy_wh);
    struct rec_meter m;
    ck_assert(meter_get(ctx, NULL, "123456789", &m, 0) == UVS_OK);
    ck_assert_uint_eq(m.state_len, 5);
    ck_assert_uint_eq(m.state[4], 2);
    /* the second sale advances the count: 29 kWh at count 4 */
    st = vend_sell(ctx, "123456789", "58.00", &r);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_str_eq(r.tokens[0], "927706818");
    ck_assert_uint_eq(r.energy_wh, 29000);
    ck_assert(meter_get(ctx, NULL, "123456789", &m, 0) == UVS_OK);
    ck_assert_uint_eq(m.state[4], 4);
    ck_assert_str_eq(r.token_id, "4");
    st = token_decode(ctx, "123456789", r.tokens[0], &ti);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_uint_eq(ti.amount, 29000);
    /* a token of another device is refused */
    ck_assert_int_eq(token_decode(ctx, "123456789", "588224011", &ti), UVS_REFUSED);
    ck_assert_int_eq(token_decode(ctx, "123456789", "58822401", &ti), UVS_INPUT);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *openpaygo_suite(void)
{
    Suite *s = suite_create("openpaygo");
    TCase *tc = tcase_create("algorithm");
    tcase_add_test(tc, test_siphash_paper_vector);
    tcase_add_loop_test(tc, test_official_vectors_generate, 0, N_VECS);
    tcase_add_loop_test(tc, test_official_vectors_decode, 0, N_VECS);
    tcase_add_test(tc, test_official_quick_test_scenario);
    tcase_add_test(tc, test_count_parity);
    tcase_add_test(tc, test_round_trip_all_formats);
    tcase_add_test(tc, test_window_ahead);
    tcase_add_test(tc, test_window_behind_and_replay);
    tcase_add_test(tc, test_starting_code_from_key);
    tcase_add_test(tc, test_bad_input_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, driver_setup, driver_teardown);
    tcase_add_test(tc, test_driver_descriptor_and_self_test);
    tcase_add_test(tc, test_driver_issues_official_tokens);
    tcase_add_test(tc, test_driver_official_vector_device);
    tcase_add_test(tc, test_driver_amounts_and_units);
    tcase_add_test(tc, test_driver_refusals);
    tcase_add_test(tc, test_driver_count_window);
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_host_sale_and_decode);
    suite_add_tcase(s, tc);
    return s;
}
