/* test_params.c — meter parameters: "name=value\n" text <-> arrays. */
#include <string.h>

#include "params.h"
#include "testutil.h"

static void add_ok(char *text, size_t cap, const char *a)
{
    struct uv_error e = {0};
    uv_status st = params_add(text, cap, a, &e);
    ck_assert_msg(st == UVS_OK, "params_add('%s'): %s", a, e.message);
}

/* Refused with UVS_INPUT, a message containing want, and text unchanged. */
static void add_bad(char *text, size_t cap, const char *a, const char *want)
{
    struct uv_error e = {0};
    char before[1024];
    snprintf(before, sizeof before, "%s", text);
    uv_status st = params_add(text, cap, a, &e);
    ck_assert_msg(st == UVS_INPUT, "params_add('%s') accepted", a);
    ck_assert_msg(strstr(e.message, want) != NULL, "'%s': message '%s' lacks '%s'", a, e.message,
                  want);
    ck_assert_str_eq(text, before);
}

START_TEST(parse_and_get)
{
    struct uv_param_set ps;
    ck_assert_int_eq(params_parse("sgc=123456\nti=01\nkrn=1\n", &ps), 0);
    ck_assert_uint_eq(ps.n, 3);
    ck_assert_str_eq(ps.p[0].name, "sgc");
    ck_assert_str_eq(ps.p[0].value, "123456");
    ck_assert_str_eq(ps.p[1].name, "ti");
    ck_assert_str_eq(ps.p[1].value, "01");
    ck_assert_str_eq(ps.p[2].name, "krn");
    ck_assert_str_eq(params_get(ps.p, ps.n, "ti"), "01");
    ck_assert_str_eq(params_get(ps.p, ps.n, "krn"), "1");
    ck_assert_ptr_null(params_get(ps.p, ps.n, "kt"));
    ck_assert_ptr_null(params_get(ps.p, ps.n, "t"));     /* no prefix match */
    ck_assert_ptr_null(params_get(ps.p, ps.n, "sgc1"));
    ck_assert_ptr_null(params_get(ps.p, 1, "ti"));       /* honours n */
    /* the set owns its strings: they point into ps.buf, not into the input */
    char text[64] = "a=1\n";
    ck_assert_int_eq(params_parse(text, &ps), 0);
    text[2] = '9';
    ck_assert_str_eq(ps.p[0].value, "1");

    /* empty text: no parameters */
    ck_assert_int_eq(params_parse("", &ps), 0);
    ck_assert_uint_eq(ps.n, 0);
    ck_assert_ptr_null(params_get(ps.p, ps.n, "sgc"));

    /* printable values may contain spaces and punctuation (not '=') */
    ck_assert_int_eq(params_parse("addr=12 Main St, #4\n", &ps), 0);
    ck_assert_str_eq(ps.p[0].value, "12 Main St, #4");
}
END_TEST

START_TEST(add_builds_text)
{
    char text[REC_PARAMS_MAX] = "";
    add_ok(text, sizeof text, "sgc=123456");
    ck_assert_str_eq(text, "sgc=123456\n");
    add_ok(text, sizeof text, "ti=01");
    ck_assert_str_eq(text, "sgc=123456\nti=01\n");
    /* a name that is a prefix of another is a different name */
    add_ok(text, sizeof text, "sg=7");
    add_ok(text, sizeof text, "sgc1=8");
    struct uv_param_set ps;
    ck_assert_int_eq(params_parse(text, &ps), 0);
    ck_assert_uint_eq(ps.n, 4);
    ck_assert_str_eq(params_get(ps.p, ps.n, "sgc"), "123456");
    ck_assert_str_eq(params_get(ps.p, ps.n, "sg"), "7");
    ck_assert_str_eq(params_get(ps.p, ps.n, "sgc1"), "8");

    /* limits: a name of 23 and a value of 63 characters are accepted */
    char a[128];
    memset(a, 'n', 23);
    a[23] = '=';
    memset(a + 24, 'v', 63);
    a[87] = '\0';
    add_ok(text, sizeof text, a);
    ck_assert_int_eq(params_parse(text, &ps), 0);
    ck_assert_uint_eq(strlen(ps.p[4].name), 23);
    ck_assert_uint_eq(strlen(ps.p[4].value), 63);
    /* names of digits and '_' */
    add_ok(text, sizeof text, "_0_9=x");
}
END_TEST

START_TEST(add_refusals)
{
    char text[REC_PARAMS_MAX] = "sgc=1\n";
    const char *msg = "must be name=value";
    add_bad(text, sizeof text, "noequals", msg);
    add_bad(text, sizeof text, "=1", msg);            /* empty name */
    add_bad(text, sizeof text, "ti=", msg);           /* empty value */
    add_bad(text, sizeof text, "Ti=01", msg);         /* uppercase */
    add_bad(text, sizeof text, "TI=01", msg);
    add_bad(text, sizeof text, "t-i=01", msg);        /* bad name chars */
    add_bad(text, sizeof text, "t i=01", msg);
    add_bad(text, sizeof text, "t.i=01", msg);
    add_bad(text, sizeof text, "ti=0=1", msg);        /* '=' in value */
    add_bad(text, sizeof text, "ti==1", msg);
    add_bad(text, sizeof text, "ti=0\n1", msg);       /* control characters */
    add_bad(text, sizeof text, "ti=0\t1", msg);
    add_bad(text, sizeof text, "ti=0\r", msg);
    add_bad(text, sizeof text, "ti=\x1b[2J", msg);
    add_bad(text, sizeof text, "ti=0\x7f", msg);
    char a[128];
    memset(a, 'n', 24); /* name of 24 */
    strcpy(a + 24, "=1");
    add_bad(text, sizeof text, a, msg);
    memset(a, 'v', sizeof a);
    memcpy(a, "ti=", 3);
    a[3 + 64] = '\0'; /* value of 64 */
    add_bad(text, sizeof text, a, msg);
    /* duplicate name */
    add_bad(text, sizeof text, "sgc=2", "given twice");
    ck_assert_str_eq(text, "sgc=1\n");
}
END_TEST

START_TEST(add_count_and_length_limits)
{
    char text[REC_PARAMS_MAX] = "";
    char a[32];
    for (int i = 0; i < UV_PARAMS_MAX; i++) {
        snprintf(a, sizeof a, "p%d=%d", i, i);
        add_ok(text, sizeof text, a);
    }
    struct uv_param_set ps;
    ck_assert_int_eq(params_parse(text, &ps), 0);
    ck_assert_uint_eq(ps.n, UV_PARAMS_MAX);
    ck_assert_str_eq(params_get(ps.p, ps.n, "p15"), "15");
    add_bad(text, sizeof text, "p16=16", "too many");
    /* a duplicate is reported as such even when full */
    add_bad(text, sizeof text, "p3=3", "given twice");

    /* overlong text: each "name(23)=value(63)\n" is 88 bytes; five make 440
       bytes, a sixth would need 440 + 87 + 1 ('\n') + 1 (NUL) = 529 > 512 */
    char t2[REC_PARAMS_MAX] = "";
    char big[128];
    for (int i = 0; i < 5; i++) {
        memset(big, 'a' + i, 23);
        big[23] = '=';
        memset(big + 24, 'v', 63);
        big[87] = '\0';
        add_ok(t2, sizeof t2, big);
    }
    ck_assert_uint_eq(strlen(t2), 440);
    memset(big, 'z', 23);
    add_bad(t2, sizeof t2, big, "too long");
    /* exactly filling the capacity works: 440 + 65 ("y=" and 63 v's) + '\n' + NUL
       = 507 bytes; a capacity of 506 is one short */
    memset(big, 'v', sizeof big);
    memcpy(big, "y=", 2);
    big[2 + 63] = '\0';
    add_bad(t2, 506, big, "too long");
    add_ok(t2, 507, big);
    ck_assert_uint_eq(strlen(t2), 506);
    ck_assert_int_eq(params_parse(t2, &ps), 0);
    ck_assert_uint_eq(ps.n, 6);

    /* a small capacity: "abc=1\n" + NUL = 7 bytes fit in 7, "d=1" does not */
    char small[8] = "";
    add_ok(small, 7, "abc=1");
    ck_assert_str_eq(small, "abc=1\n");
    add_bad(small, 7, "d=1", "too long");
}
END_TEST

START_TEST(parse_refusals)
{
    struct uv_param_set ps;
    static const char *const bad[] = {
        "sgc=1",            /* damaged: no trailing newline */
        "sgc=1\nti=01",     /* last line unterminated */
        "SGC=1\n",          /* uppercase name */
        "sgc\n",            /* no '=' */
        "=1\n",             /* empty name */
        "sgc=\n",           /* empty value */
        "a=b=c\n",          /* '=' in value */
        "a=b\tc\n",         /* control character */
        "sgc=1\n\n",        /* empty line */
        "a-b=1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(params_parse(bad[i], &ps) == -1, "'%s' parsed", bad[i]);

    /* 17 lines are too many */
    char t[512] = "";
    for (int i = 0; i <= UV_PARAMS_MAX; i++)
        snprintf(t + strlen(t), sizeof t - strlen(t), "p%d=1\n", i);
    ck_assert_int_eq(params_parse(t, &ps), -1);
    /* text of 512 bytes or more does not fit the set's buffer */
    char longt[600];
    memset(longt, 0, sizeof longt);
    for (int i = 0; strlen(longt) < 512; i++)
        snprintf(longt + strlen(longt), sizeof longt - strlen(longt), "n%02d=%s\n", i,
                 "0123456789012345678901234567890123456789");
    ck_assert_int_eq(params_parse(longt, &ps), -1);

    /* adding to damaged stored text is refused, text unchanged */
    char dmg[64] = "sgc=1";
    add_bad(dmg, sizeof dmg, "ti=01", "damaged");
}
END_TEST

Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, parse_and_get);
    tcase_add_test(tc, add_builds_text);
    tcase_add_test(tc, add_refusals);
    tcase_add_test(tc, add_count_and_length_limits);
    tcase_add_test(tc, parse_refusals);
    suite_add_tcase(s, tc);
    return s;
}
