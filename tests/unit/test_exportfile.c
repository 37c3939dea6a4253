/* test_exportfile.c — the export file reader: what the writer writes reads
   back field for field (quoted text included), and each malformed field of a
   record line is refused with its line number. No signatures here: the
   reader checks structure; hq.c checks the signature. */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "exportfile.h"
#include "testutil.h"

static void sample_receipt(struct rec_receipt *r, uint64_t n)
{
    memset(r, 0, sizeof *r);
    r->number = n;
    r->time = -86401; /* before 1970: negative times are valid */
    strcpy(r->clerk, "ann, \"the\" clerk");
    strcpy(r->meter, "01234567897");
    strcpy(r->customer, "C\"1\"");
    strcpy(r->type_code, "STS-EA07");
    strcpy(r->driver, "sts");
    strcpy(r->driver_version, "1.0.0");
    strcpy(r->tariff, "RES,LOW");
    r->gross = 5000;
    r->vat = 652;
    r->net = 4348;
    r->vat_bp = 1500;
    r->price_milli = -150000;
    r->energy_wh = 28900;
    strcpy(r->token_id, "6780001");
    strcpy(r->tokens[0], "12345678901234567890");
    strcpy(r->tokens[1], "09876543210987654321");
    r->n_tokens = 2;
    digest_sha256(&n, sizeof n, r->hash);
}

/* A file with two receipts, one audit record and one closing; the signature
   line is well formed but signs nothing (the reader does not check it). */
static char *sample_file(size_t *len)
{
    struct export_header h;
    struct rec_receipt r[2];
    memset(&h, 0, sizeof h);
    strcpy(h.kiosk, "K1");
    h.sequence = 1;
    memcpy(h.currency, "ZAR", 4);
    h.currency_decimals = 2;
    h.receipt_first = 7;
    h.receipt_last = 8;
    h.receipts = 2;
    h.audit_first = h.audit_last = h.audits = 1;
    h.closing_first = h.closing_last = h.closings = 1;
    for (int i = 0; i < 2; i++) {
        sample_receipt(&r[i], 7 + (uint64_t)i);
        h.total_gross += r[i].gross;
        h.total_vat += r[i].vat;
        h.total_net += r[i].net;
        h.total_energy_wh += r[i].energy_wh;
    }
    struct rec_audit a = {.seq = 1, .time = 5, .actor = "super", .action = "meter.add",
                          .subject = "01234567897", .detail = "type \"STS\", tariff RES"};
    struct rec_closing z = {.number = 1, .kind = CLOSING_DAY, .clerk = "super", .time = 9,
                            .first_receipt = 7, .last_receipt = 8, .count = 2, .gross = 10000,
                            .vat = 1304, .net = 8696, .energy_wh = 57800};
    uint8_t sig[64];
    memset(sig, 0xab, sizeof sig);
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    exportfile_write_header(m, &h);
    exportfile_write_receipt(m, &r[0]);
    exportfile_write_receipt(m, &r[1]);
    exportfile_write_audit(m, &a);
    exportfile_write_closing(m, &z);
    exportfile_write_signature(m, sig);
    fclose(m);
    return buf;
}

struct got {
    struct rec_receipt r[2];
    struct rec_audit a;
    struct rec_closing z;
    int nr, na, nz;
};

static int collect(int kind, const void *rec, void *arg)
{
    struct got *g = arg;
    if (kind == 'R' && g->nr < 2)
        g->r[g->nr++] = *(const struct rec_receipt *)rec;
    else if (kind == 'A')
        g->a = *(const struct rec_audit *)rec, g->na++;
    else if (kind == 'Z')
        g->z = *(const struct rec_closing *)rec, g->nz++;
    return 0;
}

START_TEST(what_is_written_reads_back)
{
    size_t len;
    char *buf = sample_file(&len);
    struct export_parsed p;
    struct uv_error e;
    struct got g;
    memset(&g, 0, sizeof g);
    ck_assert_msg(exportfile_parse(buf, len, &p, collect, &g, &e) == UVS_OK, "%s", e.message);
    ck_assert_int_eq(g.nr, 2);
    ck_assert_int_eq(g.na, 1);
    ck_assert_int_eq(g.nz, 1);
    struct rec_receipt want;
    sample_receipt(&want, 8);
    const struct rec_receipt *r = &g.r[1];
    ck_assert_uint_eq(r->number, 8);
    ck_assert_int_eq(r->time, -86401);
    ck_assert_str_eq(r->clerk, "ann, \"the\" clerk");
    ck_assert_str_eq(r->customer, "C\"1\"");
    ck_assert_str_eq(r->tariff, "RES,LOW");
    ck_assert_str_eq(r->driver_version, "1.0.0");
    ck_assert_int_eq(r->price_milli, -150000);
    ck_assert_uint_eq(r->vat_bp, 1500);
    ck_assert_uint_eq(r->energy_wh, 28900);
    ck_assert_str_eq(r->token_id, "6780001");
    ck_assert_uint_eq(r->n_tokens, 2);
    ck_assert_str_eq(r->tokens[1], "09876543210987654321");
    ck_assert_mem_eq(r->hash, want.hash, 32);
    ck_assert_str_eq(g.a.detail, "type \"STS\", tariff RES");
    ck_assert_uint_eq(g.z.kind, CLOSING_DAY);
    ck_assert_uint_eq(g.z.energy_wh, 57800);
    ck_assert_uint_eq(p.h.receipts, 2);
    /* the signature covers everything before the SIG line */
    ck_assert_uint_eq(p.body_len, len - (4 + 128 + 1));
    free(buf);
}
END_TEST

/* Replace the first occurrence of `from` in the file with `to`. */
static char *edited(const char *buf, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(buf, from);
    ck_assert_msg(at != NULL, "'%s' is not in the sample file", from);
    char *out;
    *len = (size_t)asprintf(&out, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
    return out;
}

START_TEST(each_malformed_field_is_refused_with_its_line)
{
    /* line 23 is the first receipt (the header is 21 lines and a blank) */
    static const struct { const char *from, *to, *why; } cases[] = {
        {"R,7,", "R,07,", "a number with a leading zero"},
        {"R,7,", "R,7 ,", "a number with a space"},
        {"R,7,-86401,", "R,7,-0,", "minus zero"},
        {"R,7,-86401,", "R,7,12345678901234567890,", "twenty digits"},
        {"R,7,", "R,\"7,", "an unterminated quote"},
        {"R,7,", "R,7\",", "a quote inside an unquoted field"},
        {"\"ann, \"\"the\"\" clerk\"", "\"ann\"x", "text after a closing quote"},
        {"\"RES,LOW\"", "\"RES\tLOW\"", "a control character in text"},
        {"\"RES,LOW\"", "RES_LOW_THIRTY_TWO_CHARACTERS___", "text longer than its slot"},
        {",1500,", ",10001,", "VAT over 100 %"},
        {"12345678901234567890 ", "12345678901234567890  ", "two spaces between tokens"},
        {"09876543210987654321,", "09876543210987654321 ,", "a trailing space after the tokens"},
        {"12345678901234567890 ", "1 2 3 4 ", "five tokens"},
        {",6780001,", ",67800,01,", "a field too many"},
        {"R,7,", "R,", "a field missing"},
        {"R,7,", "X,7,", "an unknown record type"},
        {"R,7,", "RR,7,", "a record type of two letters"},
    };
    size_t len;
    char *buf = sample_file(&len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *bad = edited(buf, cases[i].from, cases[i].to, &n);
        struct export_parsed p;
        struct uv_error e;
        ck_assert_msg(exportfile_parse(bad, n, &p, NULL, NULL, &e) == UVS_INPUT,
                      "%s was accepted", cases[i].why);
        ck_assert_msg(strncmp(e.message, "line 23: ", 9) == 0, "%s: '%s'", cases[i].why,
                      e.message);
        free(bad);
    }
    /* the hash: 64 lower case hex digits */
    char hex[65];
    struct rec_receipt r;
    sample_receipt(&r, 7);
    digest_hex(r.hash, 32, hex);
    char upper[65];
    strcpy(upper, hex);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    ck_assert_str_ne(upper, hex);
    size_t n;
    char *bad = edited(buf, hex, upper, &n);
    struct export_parsed p;
    struct uv_error e;
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 23: receipt record is malformed");
    free(bad);
    /* a trailing comma is one more (empty) field */
    char comma[67];
    snprintf(comma, sizeof comma, "%s,", hex);
    bad = edited(buf, hex, comma, &n);
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 23: receipt record is malformed");
    free(bad);
    /* audit and closing lines */
    bad = edited(buf, "Z,1,day,", "Z,1,night,", &n);
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 26: closing record is malformed");
    free(bad);
    bad = edited(buf, "A,1,5,", "A,1,5,,", &n);
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 25: audit record is malformed");
    free(bad);
    free(buf);
}
END_TEST

/* Format 3: the instruction range and the credit in the header, and an I
   record after the closings. */
static char *sample_v3(size_t *len, unsigned version)
{
    struct export_header h;
    memset(&h, 0, sizeof h);
    h.version = version;
    strcpy(h.kiosk, "K1");
    h.sequence = 2;
    memcpy(h.currency, "ZAR", 4);
    h.currency_decimals = 2;
    h.instruction_first = h.instruction_last = 4;
    h.instructions = 1;
    h.credit_grants = 1;
    h.credit_from_receipt = 7;
    h.credit_money_granted = 100000;
    h.credit_money_used = 5000;
    h.credit_expires = 1700000000;
    struct rec_instruction in = {.sequence = 4, .created = 11, .applied_at = 12, .records = 3,
                                 .name = "hq, \"north\".uvi", .target = "group:north"};
    memset(in.file_hash, 0x5a, 32);
    uint8_t sig[64];
    memset(sig, 0xab, sizeof sig);
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    exportfile_write_header(m, &h);
    exportfile_write_instruction(m, &in);
    exportfile_write_signature(m, sig);
    fclose(m);
    return buf;
}

static int take_instruction(int kind, const void *rec, void *arg)
{
    if (kind == 'I')
        *(struct rec_instruction *)arg = *(const struct rec_instruction *)rec;
    return 0;
}

START_TEST(format_3_reads_instructions_and_credit)
{
    size_t len, n;
    char *buf = sample_v3(&len, 3);
    struct export_parsed p;
    struct uv_error e;
    struct rec_instruction in;
    memset(&in, 0, sizeof in);
    ck_assert_msg(exportfile_parse(buf, len, &p, take_instruction, &in, &e) == UVS_OK, "%s",
                  e.message);
    ck_assert_uint_eq(p.h.version, 3);
    ck_assert_uint_eq(p.h.credit_money_granted, 100000);
    ck_assert_uint_eq(p.h.credit_from_receipt, 7);
    ck_assert_uint_eq(in.sequence, 4);
    ck_assert_str_eq(in.name, "hq, \"north\".uvi");
    ck_assert_str_eq(in.target, "group:north");
    ck_assert_uint_eq(in.records, 3);
    ck_assert_uint_eq(in.file_hash[31], 0x5a);
    /* the header is 21 + 3 + 9 lines and a blank: the I record is line 35 */
    char *bad = edited(buf, "I,4,", "I,4,,", &n);
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 35: instruction record is malformed");
    free(bad);
    bad = edited(buf, "I,4,", "I,5,", &n);
    ck_assert_int_eq(exportfile_parse(bad, n, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message,
                     "line 35: instruction out of the header's range or out of sequence");
    free(bad);
    free(buf);
    /* format 1 has no I records */
    buf = sample_v3(&len, 1);
    ck_assert_int_eq(exportfile_parse(buf, len, &p, NULL, NULL, &e), UVS_INPUT);
    ck_assert_str_eq(e.message, "line 23: unknown record type");
    free(buf);
}
END_TEST

Suite *exportfile_suite(void)
{
    Suite *s = suite_create("exportfile");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, what_is_written_reads_back);
    tcase_add_test(tc, each_malformed_field_is_refused_with_its_line);
    tcase_add_test(tc, format_3_reads_instructions_and_credit);
    suite_add_tcase(s, tc);
    return s;
}
