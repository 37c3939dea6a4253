/*
 * test_loader.c — unit tests of src/loader.c: type code rules, descriptor
 * validation, confining files to the driver directory, loading, and the
 * child-process probe.
 *
 * The deliberately broken drivers are built from tests/drivers/NAME.c into
 * $UNIVEND_TEST_DRIVERS. Drivers that crash or hang while loading are only
 * ever handed to loader_probe() (a child process), never to loader_load() in
 * the test process. Files that are not drivers at all (text, empty,
 * truncated, damaged copies) are made here, in private temp directories.
 *
 * Exposes loader_suite().
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "testutil.h"

/* ---- helpers --------------------------------------------------------- */

/* Path of a built test driver, in a caller buffer. */
static const char *tdrv(const char *name, char *buf, size_t cap)
{
    ck_assert_int_lt(snprintf(buf, cap, "%s/%s", tu_test_driver_dir(), name), (int)cap);
    return buf;
}

static void path_in(const char *dir, const char *name, char *buf, size_t cap)
{
    ck_assert_int_lt(snprintf(buf, cap, "%s/%s", dir, name), (int)cap);
}

/* Whole file into malloc'ed memory. */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
    if (len)
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* SHA-256 of a file computed here, with libgcrypt directly (not digest.c). */
static void file_sha256(const char *path, uint8_t out[32])
{
    size_t len;
    uint8_t *buf = read_all(path, &len);
    gcry_md_hash_buffer(GCRY_MD_SHA256, out, buf, len);
    free(buf);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define assert_has(hay, needle)                                                            \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in \"%s\"", (needle),  \
                  (hay))

/* Host services for probes: the test drivers' self tests need none of them,
   but they get a complete, well-formed table. */
static void svc_log(void *host, int level, const char *message)
{
    (void)host;
    (void)level;
    (void)message;
}
static int64_t svc_now(void *host)
{
    (void)host;
    return (int64_t)time(NULL);
}
static int svc_random(void *host, void *buf, size_t len)
{
    (void)host;
    memset(buf, 0x5a, len);
    return UV_OK;
}
static int svc_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    (void)host;
    (void)ref;
    (void)buf;
    (void)cap;
    (void)len;
    return UV_E_KEY_MISSING;
}
static void svc_wipe(void *buf, size_t len)
{
    memset(buf, 0, len);
}
static const struct uv_host_services test_svc = {
    .struct_size = sizeof(struct uv_host_services),
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .log = svc_log,
    .now = svc_now,
    .random = svc_random,
    .key_get = svc_key_get,
    .wipe = svc_wipe,
};

/* Probe timeout for files that answer (generous: valgrind is slow). */
#define PROBE_MS 20000

/* ---- loader_type_code_valid ---------------------------------------- */

START_TEST(test_type_code_valid)
{
    static const char *good[] = {"A",       "0",          "STS-EA07",        "TST.A_1-2",
                                 "---",     "Z9.Z9_Z9-Z9", "ABCDEFGHIJKLMNO" /* 15 */};
    static const char *bad[] = {"",
                                "sts-ea07",         /* lower case  */
                                "STS EA07",         /* space       */
                                "ABCDEFGHIJKLMNOP", /* 16 chars    */
                                "STS/EA07",         "STS:EA07",       "STS\tEA07",
                                "STS\n",            "\xc3\x89T", /* É */
                                "STS-EA07 ",        " STS",           "ÅB",
                                "A,B",              "*"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(loader_type_code_valid(good[i]), "should accept \"%s\"", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!loader_type_code_valid(bad[i]), "should refuse \"%s\"", bad[i]);
    ck_assert(!loader_type_code_valid(NULL));
    /* a 15-character prefix of a longer code does not make it valid */
    char longcode[64];
    memset(longcode, 'A', sizeof longcode - 1);
    longcode[sizeof longcode - 1] = '\0';
    ck_assert(!loader_type_code_valid(longcode));
    longcode[UV_TYPE_CODE_MAX] = '\0';
    ck_assert(loader_type_code_valid(longcode));
}
END_TEST

START_TEST(test_media_text)
{
    char buf[80];
    ck_assert_str_eq(loader_media_text(UV_MEDIUM_VIRTUAL, buf, sizeof buf), "token");
    ck_assert_str_eq(loader_media_text(UV_MEDIUM_MEMORY_CARD | UV_MEDIUM_CPU_CARD, buf, sizeof buf),
                     "memory-card,cpu-card");
    ck_assert_str_eq(loader_media_text(0, buf, sizeof buf), "");
    /* a small buffer is cut at a whole name, and stays terminated */
    char small[8];
    loader_media_text(UV_MEDIUM_MEMORY_CARD | UV_MEDIUM_LOGIC_CARD, small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
}
END_TEST

/* ---- loader_validate on descriptors built in memory ------------------ */

static int m_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                  size_t n_config, void **ctx)
{
    (void)svc;
    (void)host;
    (void)config;
    (void)n_config;
    (void)ctx;
    return UV_E_UNSUPPORTED;
}
static void m_close(void *ctx)
{
    (void)ctx;
}
static int m_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    (void)ctx;
    (void)meter;
    (void)info;
    return UV_E_UNSUPPORTED;
}
static int m_read_medium(void *ctx, struct uv_medium_info *info)
{
    (void)ctx;
    (void)info;
    return UV_E_UNSUPPORTED;
}
static int m_issue(void *ctx, const struct uv_meter *meter, const struct uv_credit_request *req,
                   struct uv_issue_result *out)
{
    (void)ctx;
    (void)meter;
    (void)req;
    (void)out;
    return UV_E_UNSUPPORTED;
}
static int m_mgmt(void *ctx, const struct uv_meter *meter, const struct uv_mgmt_request *req,
                  struct uv_issue_result *out)
{
    (void)ctx;
    (void)meter;
    (void)req;
    (void)out;
    return UV_E_UNSUPPORTED;
}
static int m_decode(void *ctx, const struct uv_meter *meter, const char *token,
                    struct uv_token_info *out)
{
    (void)ctx;
    (void)meter;
    (void)token;
    (void)out;
    return UV_E_UNSUPPORTED;
}
static const char *m_strerror(int rc)
{
    (void)rc;
    return "in-memory test descriptor";
}
static const char *m_last_error(void *ctx)
{
    (void)ctx;
    return "";
}
static int m_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    return UV_OK;
}

static const char *const two_codes[] = {"MEM-1", "MEM-2", NULL};

/* A valid token descriptor; tests break one thing at a time. */
static void base_desc(struct uv_driver *d)
{
    memset(d, 0, sizeof *d);
    d->magic = UV_DRIVER_MAGIC;
    d->abi_major = UV_ABI_MAJOR;
    d->abi_minor = UV_ABI_MINOR;
    d->struct_size = sizeof *d;
    d->name = "mem";
    d->vendor = "univend tests";
    d->version = "0.1";
    d->description = "descriptor built in memory";
    d->media = UV_MEDIUM_VIRTUAL;
    d->type_codes = two_codes;
    d->open = m_open;
    d->close = m_close;
    d->verify = m_verify;
    d->issue_credit = m_issue;
    d->decode_token = m_decode;
    d->strerror = m_strerror;
    d->last_error = m_last_error;
    d->self_test = m_self_test;
}

static void expect_ok(const struct uv_driver *d, struct uv_driver_info *info)
{
    struct uv_error e = {0};
    uv_status st = loader_validate(d, info, &e);
    ck_assert_msg(st == UVS_OK, "validate refused a valid descriptor: %s", e.message);
}

static void expect_refused(const struct uv_driver *d, const char *reason)
{
    struct uv_driver_info info;
    struct uv_error e = {0};
    memset(&info, 0xA5, sizeof info);
    uv_status st = loader_validate(d, &info, &e);
    ck_assert_msg(st == UVS_DRIVER, "expected UVS_DRIVER for \"%s\", got %d (%s)", reason, st,
                  e.message);
    ck_assert_int_eq(e.status, UVS_DRIVER);
    assert_has(e.message, reason);
}

START_TEST(test_validate_good)
{
    struct uv_driver d;
    struct uv_driver_info info;
    base_desc(&d);
    expect_ok(&d, &info);
    ck_assert_str_eq(info.name, "mem");
    ck_assert_str_eq(info.vendor, "univend tests");
    ck_assert_str_eq(info.version, "0.1");
    ck_assert_str_eq(info.description, "descriptor built in memory");
    ck_assert_uint_eq(info.abi_major, UV_ABI_MAJOR);
    ck_assert_uint_eq(info.abi_minor, UV_ABI_MINOR);
    ck_assert_uint_eq(info.media, UV_MEDIUM_VIRTUAL);
    ck_assert_uint_eq(info.n_codes, 2);
    ck_assert_str_eq(info.codes[0], "MEM-1");
    ck_assert_str_eq(info.codes[1], "MEM-2");
    ck_assert_int_eq(info.has_decode, 1);
    ck_assert_int_eq(info.has_read_medium, 0);
    ck_assert_int_eq(info.has_mgmt, 0);

    /* the optional slots are reported when present */
    d.read_medium = m_read_medium;
    d.issue_mgmt = m_mgmt;
    d.media = UV_MEDIUM_VIRTUAL | UV_MEDIUM_RF_CARD;
    expect_ok(&d, &info);
    ck_assert_int_eq(info.has_read_medium, 1);
    ck_assert_int_eq(info.has_mgmt, 1);
    ck_assert_uint_eq(info.media, UV_MEDIUM_VIRTUAL | UV_MEDIUM_RF_CARD);

    /* description is optional */
    d.description = NULL;
    expect_ok(&d, &info);
    ck_assert_str_eq(info.description, "");

    /* a newer minor version (bigger descriptor) is accepted */
    base_desc(&d);
    d.abi_minor = UV_ABI_MINOR + 7;
    d.struct_size = sizeof d + 64;
    expect_ok(&d, &info);
    ck_assert_uint_eq(info.abi_minor, UV_ABI_MINOR + 7);

    /* the smallest size a 1.x host accepts: everything up to self_test */
    base_desc(&d);
    d.struct_size = UV_DRIVER_MIN_SIZE;
    expect_ok(&d, &info);

    /* a card driver needs no decode_token */
    base_desc(&d);
    d.media = UV_MEDIUM_CPU_CARD;
    d.decode_token = NULL;
    expect_ok(&d, &info);
    ck_assert_int_eq(info.has_decode, 0);

    /* strings exactly at the slot limit (slot size - 1) fit */
    char name31[32], vendor63[64], version31[32], desc127[128];
    memset(name31, 'n', 31);
    name31[31] = '\0';
    memset(vendor63, 'v', 63);
    vendor63[63] = '\0';
    memset(version31, '1', 31);
    version31[31] = '\0';
    memset(desc127, 'd', 127);
    desc127[127] = '\0';
    base_desc(&d);
    d.name = name31;
    d.vendor = vendor63;
    d.version = version31;
    d.description = desc127;
    expect_ok(&d, &info);
    ck_assert_str_eq(info.name, name31);
    ck_assert_str_eq(info.vendor, vendor63);
    ck_assert_str_eq(info.version, version31);
    ck_assert_str_eq(info.description, desc127);
}
END_TEST

START_TEST(test_validate_null)
{
    expect_refused(NULL, "no descriptor");
}
END_TEST

START_TEST(test_validate_magic)
{
    struct uv_driver d;
    base_desc(&d);
    d.magic = 0;
    expect_refused(&d, "magic");
    d.magic = 0x52445655u; /* byte-swapped */
    expect_refused(&d, "magic");
    d.magic = UV_DRIVER_MAGIC + 1;
    expect_refused(&d, "magic");
}
END_TEST

START_TEST(test_validate_abi)
{
    struct uv_driver d;
    base_desc(&d);
    d.abi_major = UV_ABI_MAJOR + 1;
    expect_refused(&d, "wrong ABI version");
    expect_refused(&d, "driver is 2.");
    d.abi_major = 0;
    expect_refused(&d, "wrong ABI version");
    d.abi_major = 0xffff;
    expect_refused(&d, "wrong ABI version");
}
END_TEST

/* ---- ATR patterns (1.2) --------------------------------------------- */

START_TEST(test_validate_atr_patterns)
{
    struct uv_driver d;
    struct uv_driver_info info;
    static const struct uv_atr_pattern two[] = {
        {"3B0255AA", "FFFFFF00"}, {"3b8f8001", NULL}, {NULL, NULL}};
    base_desc(&d);
    d.media = UV_MEDIUM_CPU_CARD;
    d.read_medium = m_read_medium;
    d.atr_patterns = two;
    expect_ok(&d, &info);
    ck_assert_uint_eq(info.n_atr, 2);
    ck_assert_uint_eq(info.atr[0].len, 4);
    ck_assert_uint_eq(info.atr[0].mask[3], 0x00);
    ck_assert_uint_eq(info.atr[1].atr[1], 0x8F);
    ck_assert_uint_eq(info.atr[1].mask[0], 0xFF); /* NULL mask: every bit counts */

    /* matching: masked byte ignored, length must agree */
    const uint8_t card[] = {0x3B, 0x02, 0x55, 0x17};
    const uint8_t other[] = {0x3B, 0x02, 0x56, 0xAA};
    ck_assert_int_eq(loader_atr_match(&info.atr[0], card, sizeof card), 1);
    ck_assert_int_eq(loader_atr_match(&info.atr[0], other, sizeof other), 0);
    ck_assert_int_eq(loader_atr_match(&info.atr[0], card, 3), 0);
    ck_assert_uint_eq(loader_atr_specificity(&info.atr[0]), 24);
    ck_assert_uint_eq(loader_atr_specificity(&info.atr[1]), 32);

    /* as the type index stores them: hex text, no mask where every bit counts */
    char text[UV_ATR_TEXT_MAX];
    loader_atr_text(info.atr, info.n_atr, text, sizeof text);
    ck_assert_str_eq(text, "3B0255AA/FFFFFF00 3B8F8001");
    struct uv_atr_info back[UV_ATR_PATTERNS_MAX];
    unsigned nb = 0;
    ck_assert_int_eq(loader_atr_parse(text, back, UV_ATR_PATTERNS_MAX, &nb), 0);
    ck_assert_uint_eq(nb, 2);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_uint_eq(back[i].len, info.atr[i].len);
        ck_assert_mem_eq(back[i].atr, info.atr[i].atr, back[i].len);
        ck_assert_mem_eq(back[i].mask, info.atr[i].mask, back[i].len);
    }
    ck_assert_int_eq(loader_atr_parse("", back, UV_ATR_PATTERNS_MAX, &nb), 0);
    ck_assert_uint_eq(nb, 0);
    static const char *const bad_text[] = {"3B0", "3BXX", "3B02/FF", "3B02/", "/FF", "3B02 3B03",
                                           "3B02/FFFF/FFFF"};
    for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++)
        ck_assert_msg(loader_atr_parse(bad_text[i], back, i == 5 ? 1 : UV_ATR_PATTERNS_MAX, &nb) ==
                          -1,
                      "'%s' accepted", bad_text[i]);
    /* too little room: no half pattern */
    loader_atr_text(info.atr, info.n_atr, text, 20);
    ck_assert_str_eq(text, "3B0255AA/FFFFFF00");

    /* a 1.1 descriptor is not read past its end even if the slot holds junk */
    d.abi_minor = 1;
    d.struct_size = offsetof(struct uv_driver, atr_patterns);
    expect_ok(&d, &info);
    ck_assert_uint_eq(info.n_atr, 0);
}
END_TEST

START_TEST(test_validate_atr_patterns_refused)
{
    struct uv_driver d;
    static const struct uv_atr_pattern odd[] = {{"3B0", NULL}, {NULL, NULL}};
    static const struct uv_atr_pattern nothex[] = {{"3BXX", NULL}, {NULL, NULL}};
    static const struct uv_atr_pattern empty[] = {{"", NULL}, {NULL, NULL}};
    static const struct uv_atr_pattern mask_len[] = {{"3B02", "FF"}, {NULL, NULL}};
    static const struct uv_atr_pattern too_long[] = {
        {"3B0000000000000000000000000000000000000000000000000000000000000000AA", NULL},
        {NULL, NULL}};
    static const struct uv_atr_pattern nine[] = {{"3B01", NULL}, {"3B02", NULL}, {"3B03", NULL},
                                                 {"3B04", NULL}, {"3B05", NULL}, {"3B06", NULL},
                                                 {"3B07", NULL}, {"3B08", NULL}, {"3B09", NULL},
                                                 {NULL, NULL}};
    const struct uv_atr_pattern *bad[] = {odd, nothex, empty, mask_len, too_long, nine};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        base_desc(&d);
        d.media = UV_MEDIUM_CPU_CARD;
        d.read_medium = m_read_medium;
        d.atr_patterns = bad[i];
        expect_refused(&d, "ATR pattern");
    }
    /* patterns but no way to read the card's type code */
    base_desc(&d);
    d.media = UV_MEDIUM_CPU_CARD;
    static const struct uv_atr_pattern fine[] = {{"3B02", NULL}, {NULL, NULL}};
    d.atr_patterns = fine;
    expect_refused(&d, "ATR patterns without read_medium");
}
END_TEST

START_TEST(test_validate_struct_size)
{
    struct uv_driver d;
    base_desc(&d);
    d.struct_size = UV_DRIVER_MIN_SIZE - 1;
    expect_refused(&d, "too small");
    d.struct_size = 0;
    expect_refused(&d, "too small");
    d.struct_size = (uint32_t)offsetof(struct uv_driver, self_test);
    expect_refused(&d, "too small");
}
END_TEST

/* name, vendor, version: missing, empty, one too long, control characters */
static void check_required_text(size_t slot_off, size_t cap, const char *what)
{
    char reason[64], longer[256];
    snprintf(reason, sizeof reason, "%s missing, too long or not printable", what);
    ck_assert_uint_lt(cap, sizeof longer);
    memset(longer, 'x', cap);
    longer[cap] = '\0'; /* cap chars: one more than fits */

    const char *values[] = {NULL, "", longer, "tab\there", "line\n", "bell\a", "del\x7f",
                            "\x1b[31mred"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct uv_driver d;
        base_desc(&d);
        memcpy((char *)&d + slot_off, &values[i], sizeof values[i]);
        expect_refused(&d, reason);
    }
}

START_TEST(test_validate_texts)
{
    struct uv_driver d;
    struct uv_driver_info info;
    check_required_text(offsetof(struct uv_driver, name), sizeof info.name, "name");
    check_required_text(offsetof(struct uv_driver, vendor), sizeof info.vendor, "vendor");
    check_required_text(offsetof(struct uv_driver, version), sizeof info.version, "version");

    /* description: optional, but not too long and printable */
    char longer[129];
    memset(longer, 'x', 128);
    longer[128] = '\0';
    base_desc(&d);
    d.description = longer;
    expect_refused(&d, "description too long or not printable");
    d.description = "two\nlines";
    expect_refused(&d, "description too long or not printable");
}
END_TEST

START_TEST(test_validate_media)
{
    struct uv_driver d;
    base_desc(&d);
    d.media = 0;
    expect_refused(&d, "media mask 0x0");
    d.media = 0x20; /* no such medium */
    expect_refused(&d, "media mask 0x20 is empty or unknown");
    d.media = UV_MEDIUM_VIRTUAL | 0x80000000u;
    expect_refused(&d, "media mask");
}
END_TEST

START_TEST(test_validate_codes)
{
    struct uv_driver d;
    base_desc(&d);
    d.type_codes = NULL;
    expect_refused(&d, "claims no meter type codes");
    static const char *const none[] = {NULL};
    d.type_codes = none;
    expect_refused(&d, "claims no meter type codes");

    static const char *const lower[] = {"MEM-1", "mem-2", NULL};
    d.type_codes = lower;
    expect_refused(&d, "type code #2 is invalid");
    static const char *const space[] = {"MEM 1", NULL};
    d.type_codes = space;
    expect_refused(&d, "type code #1 is invalid");
    static const char *const toolong[] = {"MEM-1", "MEM-2", "ABCDEFGHIJKLMNOP", NULL};
    d.type_codes = toolong;
    expect_refused(&d, "type code #3 is invalid");
    static const char *const empty[] = {"", NULL};
    d.type_codes = empty;
    expect_refused(&d, "type code #1 is invalid");

    static const char *const twice[] = {"MEM-1", "MEM-2", "MEM-1", NULL};
    d.type_codes = twice;
    expect_refused(&d, "type code MEM-1 is listed twice");
}
END_TEST

START_TEST(test_validate_code_count)
{
    struct uv_driver d;
    struct uv_driver_info info;
    char names[UV_TYPE_CODES_MAX + 1][16];
    const char *list[UV_TYPE_CODES_MAX + 2];
    for (int i = 0; i <= UV_TYPE_CODES_MAX; i++) {
        snprintf(names[i], sizeof names[i], "C-%03d", i);
        list[i] = names[i];
    }
    base_desc(&d);
    d.type_codes = list;

    /* exactly 64: accepted, every one copied */
    list[UV_TYPE_CODES_MAX] = NULL;
    expect_ok(&d, &info);
    ck_assert_uint_eq(info.n_codes, UV_TYPE_CODES_MAX);
    ck_assert_str_eq(info.codes[0], "C-000");
    ck_assert_str_eq(info.codes[UV_TYPE_CODES_MAX - 1], "C-063");

    /* 65: refused */
    list[UV_TYPE_CODES_MAX] = names[UV_TYPE_CODES_MAX];
    list[UV_TYPE_CODES_MAX + 1] = NULL;
    expect_refused(&d, "more than 64 type codes");
}
END_TEST

START_TEST(test_validate_required_functions)
{
    static const struct {
        size_t off;
        const char *name;
    } slots[] = {
        {offsetof(struct uv_driver, open), "open"},
        {offsetof(struct uv_driver, close), "close"},
        {offsetof(struct uv_driver, verify), "verify"},
        {offsetof(struct uv_driver, issue_credit), "issue_credit"},
        {offsetof(struct uv_driver, strerror), "strerror"},
        {offsetof(struct uv_driver, last_error), "last_error"},
        {offsetof(struct uv_driver, self_test), "self_test"},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        struct uv_driver d;
        char reason[80];
        base_desc(&d);
        void *null = NULL;
        memcpy((char *)&d + slots[i].off, &null, sizeof null);
        snprintf(reason, sizeof reason, "required function %s is missing", slots[i].name);
        expect_refused(&d, reason);
    }
    /* the optional ones may be missing (on a card driver, decode too) */
    struct uv_driver d;
    struct uv_driver_info info;
    base_desc(&d);
    d.read_medium = NULL;
    d.issue_mgmt = NULL;
    expect_ok(&d, &info);
}
END_TEST

START_TEST(test_validate_token_needs_decode)
{
    struct uv_driver d;
    base_desc(&d);
    d.decode_token = NULL;
    expect_refused(&d, "token driver must offer decode_token");
    d.media = UV_MEDIUM_VIRTUAL | UV_MEDIUM_CPU_CARD; /* tokens among others */
    expect_refused(&d, "decode_token");
}
END_TEST

/* ---- loader_resolve --------------------------------------------------- */

struct rdirs {
    char *base;          /* temp dir                                   */
    char dir[PATH_MAX];  /* base/drivers: the driver directory         */
    char out[PATH_MAX];  /* base/outside                               */
    char evil[PATH_MAX]; /* base/drivers-evil: shares dir as a prefix  */
    char real[PATH_MAX]; /* realpath of dir                            */
};

static void rdirs_make(struct rdirs *r)
{
    char p[PATH_MAX], src[PATH_MAX];
    r->base = tu_mkdtemp();
    path_in(r->base, "drivers", r->dir, sizeof r->dir);
    path_in(r->base, "outside", r->out, sizeof r->out);
    path_in(r->base, "drivers-evil", r->evil, sizeof r->evil);
    ck_assert_int_eq(mkdir(r->dir, 0755), 0);
    ck_assert_int_eq(mkdir(r->out, 0755), 0);
    ck_assert_int_eq(mkdir(r->evil, 0755), 0);
    path_in(r->dir, "sub", p, sizeof p);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    tdrv("good_a.so", src, sizeof src);
    path_in(r->dir, "good_a.so", p, sizeof p);
    tu_copy(src, p);
    path_in(r->dir, "sub/good_a.so", p, sizeof p);
    tu_copy(src, p);
    path_in(r->out, "good_a.so", p, sizeof p);
    tu_copy(src, p);
    path_in(r->evil, "good_a.so", p, sizeof p);
    tu_copy(src, p);
    ck_assert_ptr_nonnull(realpath(r->dir, r->real));
}

static void rdirs_free(struct rdirs *r)
{
    tu_rmrf(r->base);
    free(r->base);
}

static uv_status resolve(const struct rdirs *r, const char *arg, char *path, char *file,
                         struct uv_error *e)
{
    memset(e, 0, sizeof *e);
    return loader_resolve(r->dir, arg, path, PATH_MAX, file, 128, e);
}

static void expect_resolved(const struct rdirs *r, const char *arg, const char *want_file)
{
    char path[PATH_MAX], file[128], want[PATH_MAX + 200];
    struct uv_error e;
    uv_status st = resolve(r, arg, path, file, &e);
    ck_assert_msg(st == UVS_OK, "resolve %s: %d %s", arg, st, e.message);
    ck_assert_str_eq(file, want_file);
    snprintf(want, sizeof want, "%s/%s", r->real, want_file);
    ck_assert_str_eq(path, want);
}

static void expect_unresolved(const struct rdirs *r, const char *arg, uv_status want,
                              const char *reason)
{
    char path[PATH_MAX], file[128];
    struct uv_error e;
    strcpy(path, "untouched");
    uv_status st = resolve(r, arg, path, file, &e);
    ck_assert_msg(st == want, "resolve %s: got %d (%s), want %d", arg, st, e.message, want);
    assert_has(e.message, reason);
    ck_assert_str_eq(path, "untouched");
}

START_TEST(test_resolve_inside)
{
    struct rdirs r;
    char arg[PATH_MAX + 64];
    rdirs_make(&r);
    expect_resolved(&r, "good_a.so", "good_a.so");
    snprintf(arg, sizeof arg, "%s/good_a.so", r.dir);
    expect_resolved(&r, arg, "good_a.so");
    /* a path that wanders about but ends inside */
    snprintf(arg, sizeof arg, "%s/sub/../good_a.so", r.dir);
    expect_resolved(&r, arg, "good_a.so");
    snprintf(arg, sizeof arg, "%s/../drivers/./good_a.so", r.dir);
    expect_resolved(&r, arg, "good_a.so");
    /* a symlink inside pointing inside resolves to its target */
    char link[PATH_MAX];
    path_in(r.dir, "alias.so", link, sizeof link);
    ck_assert_int_eq(symlink("good_a.so", link), 0);
    expect_resolved(&r, "alias.so", "good_a.so");
    rdirs_free(&r);
}
END_TEST

START_TEST(test_resolve_outside)
{
    struct rdirs r;
    char arg[PATH_MAX + 64];
    rdirs_make(&r);
    /* a file elsewhere */
    snprintf(arg, sizeof arg, "%s/good_a.so", r.out);
    expect_unresolved(&r, arg, UVS_REFUSED, "not in the driver directory");
    /* ../ out of the directory */
    snprintf(arg, sizeof arg, "%s/../outside/good_a.so", r.dir);
    expect_unresolved(&r, arg, UVS_REFUSED, "not in the driver directory");
    /* a sibling directory whose name starts with the driver dir's name */
    snprintf(arg, sizeof arg, "%s/good_a.so", r.evil);
    expect_unresolved(&r, arg, UVS_REFUSED, "not in the driver directory");
    /* a subdirectory of the driver directory is not the driver directory */
    snprintf(arg, sizeof arg, "%s/sub/good_a.so", r.dir);
    expect_unresolved(&r, arg, UVS_REFUSED, "not in the driver directory");
    /* bare names that are not files in the directory */
    expect_unresolved(&r, "..", UVS_REFUSED, "not in the driver directory");
    expect_unresolved(&r, ".", UVS_REFUSED, "not in the driver directory");
    /* the system's files */
    expect_unresolved(&r, "/etc/passwd", UVS_REFUSED, "not in the driver directory");
    rdirs_free(&r);
}
END_TEST

START_TEST(test_resolve_relative)
{
    /* arguments with a slash are relative to the working directory */
    struct rdirs r;
    rdirs_make(&r);
    int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(here, 0);
    ck_assert_int_eq(chdir(r.dir), 0);
    char path[PATH_MAX], file[128];
    struct uv_error e;
    uv_status a = resolve(&r, "./good_a.so", path, file, &e);
    uv_status b = resolve(&r, "../outside/good_a.so", path, file, &e);
    char msg_b[sizeof e.message];
    snprintf(msg_b, sizeof msg_b, "%s", e.message);
    uv_status c = resolve(&r, "sub/../../drivers-evil/good_a.so", path, file, &e);
    ck_assert_int_eq(fchdir(here), 0);
    close(here);
    ck_assert_int_eq(a, UVS_OK);
    ck_assert_int_eq(b, UVS_REFUSED);
    assert_has(msg_b, "not in the driver directory");
    ck_assert_int_eq(c, UVS_REFUSED);
    rdirs_free(&r);
}
END_TEST

START_TEST(test_resolve_symlink_out)
{
    struct rdirs r;
    char link[PATH_MAX], target[PATH_MAX];
    rdirs_make(&r);
    /* a symlink inside the directory pointing at a file outside it */
    path_in(r.out, "good_a.so", target, sizeof target);
    path_in(r.dir, "escape.so", link, sizeof link);
    ck_assert_int_eq(symlink(target, link), 0);
    expect_unresolved(&r, "escape.so", UVS_REFUSED, "not in the driver directory");
    ck_assert(access(link, R_OK) == 0); /* the link itself is fine: it is refused on purpose */
    /* relative symlink climbing out */
    path_in(r.dir, "escape2.so", link, sizeof link);
    ck_assert_int_eq(symlink("../outside/good_a.so", link), 0);
    expect_unresolved(&r, "escape2.so", UVS_REFUSED, "not in the driver directory");
    /* a symlinked directory inside the driver dir leading outside */
    path_in(r.dir, "outdir", link, sizeof link);
    ck_assert_int_eq(symlink(r.out, link), 0);
    char arg[PATH_MAX + 64];
    snprintf(arg, sizeof arg, "%s/outdir/good_a.so", r.dir);
    expect_unresolved(&r, arg, UVS_REFUSED, "not in the driver directory");
    rdirs_free(&r);
}
END_TEST

START_TEST(test_resolve_missing)
{
    struct rdirs r;
    char arg[PATH_MAX + 64], link[PATH_MAX];
    rdirs_make(&r);
    expect_unresolved(&r, "nonesuch.so", UVS_NOTFOUND, "nonesuch.so");
    snprintf(arg, sizeof arg, "%s/nonesuch.so", r.dir);
    expect_unresolved(&r, arg, UVS_NOTFOUND, "No such file");
    /* a dangling symlink is a missing file */
    path_in(r.dir, "dangling.so", link, sizeof link);
    ck_assert_int_eq(symlink("gone.so", link), 0);
    expect_unresolved(&r, "dangling.so", UVS_NOTFOUND, "dangling.so");
    /* no argument */
    expect_unresolved(&r, "", UVS_USAGE, "no driver file given");
    char path[PATH_MAX], file[128];
    struct uv_error e = {0};
    ck_assert_int_eq(loader_resolve(r.dir, NULL, path, sizeof path, file, sizeof file, &e),
                     UVS_USAGE);
    /* the driver directory itself missing */
    snprintf(arg, sizeof arg, "%s/no-such-dir", r.base);
    ck_assert_int_eq(loader_resolve(arg, "good_a.so", path, sizeof path, file, sizeof file, &e),
                     UVS_IO);
    assert_has(e.message, "no-such-dir");
    /* a result that does not fit the caller's buffers */
    ck_assert_int_eq(loader_resolve(r.dir, "good_a.so", path, sizeof path, file, 5, &e),
                     UVS_INPUT);
    ck_assert_int_eq(loader_resolve(r.dir, "good_a.so", path, 10, file, sizeof file, &e),
                     UVS_INPUT);
    rdirs_free(&r);
}
END_TEST

/* ---- loader_load -------------------------------------------------------- */

/* Drivers loaded in the test process live here, so that the teardown can
   unload whatever a failed assertion left loaded (with CK_FORK=no a loaded
   driver would otherwise outlive its test). */
static struct uv_loaded g_loaded[2];

static void load_setup(void)
{
    memset(g_loaded, 0, sizeof g_loaded);
}

static void load_teardown(void)
{
    /* only what is loaded: a zeroed struct uv_loaded is not an unloaded one */
    for (size_t i = 0; i < sizeof g_loaded / sizeof g_loaded[0]; i++)
        if (g_loaded[i].dl)
            loader_unload(&g_loaded[i]);
}


START_TEST(test_load_good)
{
    char path[PATH_MAX];
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    uint8_t want[32];
    tdrv("good_a.so", path, sizeof path);
    file_sha256(path, want);
    uv_status st = loader_load(path, "good_a.so", lp, &e);
    ck_assert_msg(st == UVS_OK, "load good_a: %s", e.message);
    ck_assert_str_eq(lp->file, "good_a.so");
    ck_assert_ptr_nonnull(lp->dl);
    ck_assert_ptr_nonnull(lp->desc);
    ck_assert_ptr_null(lp->dctx);
    ck_assert_mem_eq(lp->sha256, want, 32);
    ck_assert_str_eq(lp->info.name, "good-a");
    ck_assert_str_eq(lp->info.vendor, "univend tests");
    ck_assert_str_eq(lp->info.version, "1.0.0");
    ck_assert_str_eq(lp->info.description, "test driver: amount in plain token digits");
    ck_assert_uint_eq(lp->info.abi_major, UV_ABI_MAJOR);
    ck_assert_uint_eq(lp->info.media, UV_MEDIUM_VIRTUAL);
    ck_assert_uint_eq(lp->info.n_codes, 2);
    ck_assert_str_eq(lp->info.codes[0], "TST-A1");
    ck_assert_str_eq(lp->info.codes[1], "TST-A2");
    ck_assert_int_eq(lp->info.has_decode, 1);
    ck_assert_int_eq(lp->info.has_read_medium, 0);
    ck_assert_int_eq(lp->info.has_mgmt, 0);
    /* the info is a copy: it does not point into the driver */
    ck_assert_ptr_ne(lp->info.name, lp->desc->name);
    ck_assert_str_eq(lp->info.name, lp->desc->name);

    /* the descriptor works: open, issue, decode, close */
    void *dctx = NULL;
    ck_assert_int_eq(lp->desc->open(&test_svc, NULL, NULL, 0, &dctx), UV_OK);
    ck_assert_ptr_nonnull(dctx);
    lp->dctx = dctx; /* loader_unload closes it */
    struct uv_meter m = {.struct_size = sizeof m, .number = "M-1", .type_code = "TST-A1"};
    struct uv_credit_request req = {.struct_size = sizeof req,
                                    .kind = UV_CREDIT_ELECTRICITY,
                                    .amount = 12345,
                                    .sequence = 7};
    struct uv_issue_result *res = calloc(1, sizeof *res);
    ck_assert_ptr_nonnull(res);
    res->struct_size = sizeof *res;
    ck_assert_int_eq(lp->desc->issue_credit(dctx, &m, &req, res), UV_OK);
    ck_assert_uint_eq(res->n_tokens, 1);
    ck_assert_str_eq(res->tokens[0], "00000000000000012345");
    ck_assert_uint_eq(res->amount_issued, 12345);
    ck_assert_str_eq(res->token_id, "7");
    ck_assert_uint_eq(res->state_len, 8);
    struct uv_token_info ti = {.struct_size = sizeof ti};
    ck_assert_int_eq(lp->desc->decode_token(dctx, &m, res->tokens[0], &ti), UV_OK);
    ck_assert_uint_eq(ti.kind, UV_CREDIT_ELECTRICITY);
    ck_assert_uint_eq(ti.amount, 12345);
    ck_assert_int_eq(lp->desc->decode_token(dctx, &m, "1234", &ti), UV_E_TOKEN_FORMAT);
    ck_assert_str_ne(lp->desc->last_error(dctx), "");
    ck_assert_int_eq(lp->desc->self_test(&test_svc, NULL), UV_OK);
    free(res);

    loader_unload(lp);
    ck_assert_ptr_null(lp->dl);
    ck_assert_ptr_null(lp->desc);
    ck_assert_ptr_null(lp->dctx);
    loader_unload(lp); /* twice is harmless */
}
END_TEST

START_TEST(test_load_card_driver)
{
    char path[PATH_MAX];
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    tdrv("good_card.so", path, sizeof path);
    uv_status st = loader_load(path, "good_card.so", lp, &e);
    ck_assert_msg(st == UVS_OK, "load good_card: %s", e.message);
    ck_assert_str_eq(lp->info.name, "good-card");
    ck_assert_uint_eq(lp->info.media, UV_MEDIUM_MEMORY_CARD);
    ck_assert_int_eq(lp->info.has_decode, 0);
    ck_assert_int_eq(lp->info.has_read_medium, 1);
    ck_assert_int_eq(lp->info.has_mgmt, 1);
    loader_unload(lp);
}
END_TEST

/* Every refused driver leaves nothing loaded and names file and reason. */
static void expect_load_refused(const char *name, uv_status want, const char *reason)
{
    char path[PATH_MAX];
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    tdrv(name, path, sizeof path);
    memset(lp, 0xA5, sizeof *lp);
    uv_status st = loader_load(path, name, lp, &e);
    ck_assert_msg(st == want, "%s: got %d (%s), want %d", name, st, e.message, want);
    ck_assert_int_eq(e.status, want);
    assert_has(e.message, name);
    assert_has(e.message, reason);
    ck_assert_ptr_null(lp->dl);
    ck_assert_ptr_null(lp->desc);
    ck_assert_ptr_null(lp->dctx);
}

START_TEST(test_load_bad_drivers)
{
    expect_load_refused("wrong_abi.so", UVS_DRIVER, "wrong ABI version: driver is 2.");
    expect_load_refused("bad_magic.so", UVS_DRIVER, "magic");
    expect_load_refused("no_entry.so", UVS_DRIVER, "missing symbol univend_driver_entry");
    expect_load_refused("null_desc.so", UVS_DRIVER, "returned no descriptor");
    expect_load_refused("small_struct.so", UVS_DRIVER, "descriptor is too small");
    expect_load_refused("no_codes.so", UVS_DRIVER, "claims no meter type codes");
    expect_load_refused("bad_code.so", UVS_DRIVER, "type code #2 is invalid");
    expect_load_refused("long_code.so", UVS_DRIVER, "type code #1 is invalid");
    expect_load_refused("missing_fn.so", UVS_DRIVER, "required function issue_credit is missing");
    expect_load_refused("token_no_decode.so", UVS_DRIVER, "must offer decode_token");
    expect_load_refused("no-such-driver.so", UVS_NOTFOUND, "No such file");
    /* and after all that a good driver still loads properly */
    char path[PATH_MAX];
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    ck_assert_int_eq(loader_load(tdrv("good_a.so", path, sizeof path), "good_a.so", lp, &e),
                     UVS_OK);
    ck_assert_str_eq(lp->info.name, "good-a");
    loader_unload(lp);
}
END_TEST

/* Files that are not drivers at all: refused by the ELF pre-check, before
   dlopen, so loading them in the test process is safe. */
struct junk {
    char *dir;
    char text[PATH_MAX], empty[PATH_MAX], tiny[PATH_MAX], trunc_ph[PATH_MAX],
        trunc_seg[PATH_MAX], bad_elfmag[PATH_MAX], other_cpu[PATH_MAX], exec_type[PATH_MAX],
        elf32[PATH_MAX], subdir[PATH_MAX];
};

static void junk_make(struct junk *j)
{
    char good[PATH_MAX];
    size_t len;
    j->dir = tu_mkdtemp();
    tdrv("good_a.so", good, sizeof good);
    uint8_t *img = read_all(good, &len);
    ck_assert_uint_gt(len, 4096);

    path_in(j->dir, "text.so", j->text, sizeof j->text);
    const char *t = "#!/bin/sh\necho this is not a driver\n";
    write_all(j->text, t, strlen(t));
    path_in(j->dir, "empty.so", j->empty, sizeof j->empty);
    write_all(j->empty, "", 0);
    path_in(j->dir, "tiny.so", j->tiny, sizeof j->tiny);
    write_all(j->tiny, img, 10); /* part of the ELF header only */
    path_in(j->dir, "trunc_ph.so", j->trunc_ph, sizeof j->trunc_ph);
    write_all(j->trunc_ph, img, sizeof(Elf64_Ehdr) + 8); /* header, no program headers */
    /* cut inside the last loadable segment (cutting off only the section
       headers and debug info would leave a loadable object) */
    Elf64_Ehdr eh;
    size_t seg_end = 0;
    memcpy(&eh, img, sizeof eh);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > seg_end)
            seg_end = ph.p_offset + ph.p_filesz;
    }
    ck_assert_uint_gt(seg_end, 64);
    ck_assert_uint_le(seg_end, len);
    path_in(j->dir, "trunc_seg.so", j->trunc_seg, sizeof j->trunc_seg);
    write_all(j->trunc_seg, img, seg_end - 16);

    uint8_t *c = malloc(len);
    ck_assert_ptr_nonnull(c);
    memcpy(c, img, len);
    c[1] ^= 0x20; /* "\x7f" "eLF" */
    path_in(j->dir, "bad_elfmag.so", j->bad_elfmag, sizeof j->bad_elfmag);
    write_all(j->bad_elfmag, c, len);

    memcpy(c, img, len);
    memcpy(&eh, c, sizeof eh);
    eh.e_machine = eh.e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
    memcpy(c, &eh, sizeof eh);
    path_in(j->dir, "other_cpu.so", j->other_cpu, sizeof j->other_cpu);
    write_all(j->other_cpu, c, len);

    memcpy(c, img, len);
    memcpy(&eh, c, sizeof eh);
    eh.e_type = ET_EXEC;
    memcpy(c, &eh, sizeof eh);
    path_in(j->dir, "exec_type.so", j->exec_type, sizeof j->exec_type);
    write_all(j->exec_type, c, len);

    memcpy(c, img, len);
    c[EI_CLASS] = ELFCLASS32;
    path_in(j->dir, "elf32.so", j->elf32, sizeof j->elf32);
    write_all(j->elf32, c, len);

    path_in(j->dir, "subdir.so", j->subdir, sizeof j->subdir);
    ck_assert_int_eq(mkdir(j->subdir, 0755), 0);
    free(c);
    free(img);
}

static void junk_free(struct junk *j)
{
    tu_rmrf(j->dir);
    free(j->dir);
}

static void expect_junk_refused(const char *path, const char *reason)
{
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    const char *file = strrchr(path, '/') + 1;
    uv_status st = loader_load(path, file, lp, &e);
    ck_assert_msg(st == UVS_DRIVER, "%s: got %d (%s)", file, st, e.message);
    assert_has(e.message, file);
    assert_has(e.message, reason);
    ck_assert_ptr_null(lp->dl);
    ck_assert_ptr_null(lp->desc);
}

/* A file whose SHA-256 is not the one expected is refused before dlopen():
   the constructor of crash_on_load.so would otherwise kill this process. */
START_TEST(test_load_expecting_refuses_before_running)
{
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    char path[PATH_MAX];
    uint8_t other[32];
    memset(other, 0xA5, sizeof other);
    uv_status st = loader_load_expecting(tdrv("crash_on_load.so", path, sizeof path),
                                         "crash_on_load.so", other, lp, &e);
    ck_assert_int_eq(st, UVS_REFUSED);
    assert_has(e.message, "refused before any of it ran");
    ck_assert_ptr_null(lp->dl);
}
END_TEST

START_TEST(test_load_not_drivers)
{
    struct junk j;
    junk_make(&j);
    expect_junk_refused(j.text, "not an ELF shared object");
    expect_junk_refused(j.empty, "not an ELF shared object");
    expect_junk_refused(j.tiny, "not an ELF shared object");
    expect_junk_refused(j.bad_elfmag, "not an ELF shared object");
    expect_junk_refused(j.trunc_ph, "truncated or damaged (program headers)");
    expect_junk_refused(j.trunc_seg, "truncated or damaged (segment");
    expect_junk_refused(j.other_cpu, "built for another processor");
    expect_junk_refused(j.exec_type, "not a 64-bit shared object");
    expect_junk_refused(j.elf32, "not a 64-bit shared object");
    expect_junk_refused(j.subdir, "not a regular file");
    junk_free(&j);
}
END_TEST

START_TEST(test_load_name_too_long)
{
    char path[PATH_MAX], name[200];
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    ck_assert_int_eq(loader_load(tdrv("good_a.so", path, sizeof path), name, lp, &e), UVS_INPUT);
    ck_assert_ptr_null(lp->dl);
}
END_TEST

/* The descriptor's magic sits in the file's data as "RDVU" (little endian):
   a copy of a real driver with those bytes flipped still loads as ELF, and
   must then be refused by validation. */
START_TEST(test_load_flipped_magic)
{
    char good[PATH_MAX], bad[PATH_MAX];
    size_t len, hits = 0;
    uint8_t *img = read_all(tdrv("good_a.so", good, sizeof good), &len);
    uint32_t magic = UV_DRIVER_MAGIC;
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memcmp(img + i, &magic, 4) == 0) {
            img[i] ^= 0xff;
            hits++;
        }
    }
    ck_assert_uint_eq(hits, 1);
    char *dir = tu_mkdtemp();
    path_in(dir, "flipped.so", bad, sizeof bad);
    write_all(bad, img, len);
    free(img);
    struct uv_loaded *const lp = &g_loaded[0];
    struct uv_error e = {0};
    uv_status st = loader_load(bad, "flipped.so", lp, &e);
    ck_assert_int_eq(st, UVS_DRIVER);
    assert_has(e.message, "flipped.so: not a univend driver (descriptor magic is wrong)");
    ck_assert_ptr_null(lp->dl);
    /* and the probe agrees */
    struct uv_probe pr;
    ck_assert_int_eq(loader_probe(bad, "flipped.so", &test_svc, NULL, PROBE_MS, &pr), UVS_DRIVER);
    assert_has(pr.message, "magic");
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* Two different drivers loaded at the same time must stay two drivers. */
START_TEST(test_load_two_at_once)
{
    char pa[PATH_MAX], pb[PATH_MAX], name_b[32], name_bad[32] = "";
    struct uv_loaded *a = &g_loaded[0], *b = &g_loaded[1];
    struct uv_error e = {0};
    uint8_t hb[32];
    tdrv("good_a.so", pa, sizeof pa);
    tdrv("good_b.so", pb, sizeof pb);
    file_sha256(pb, hb);
    ck_assert_int_eq(loader_load(pa, "good_a.so", a, &e), UVS_OK);
    uv_status st = loader_load(pb, "good_b.so", b, &e);
    ck_assert_msg(st == UVS_OK, "good_b: %s", e.message);
    ck_assert_mem_eq(b->sha256, hb, 32);
    int same_desc = b->desc == a->desc;
    snprintf(name_b, sizeof name_b, "%s", b->info.name);
    loader_unload(b);
    loader_unload(a);
    /* the code that runs must be the code that was hashed */
    ck_assert_msg(!same_desc && strcmp(name_b, "good-b") == 0,
                  "loading good_b.so while good_a.so is loaded gave good_a's descriptor "
                  "(info.name \"%s\")",
                  name_b);

    /* and a bad driver loaded while a good one is loaded is still refused */
    ck_assert_int_eq(loader_load(pa, "good_a.so", a, &e), UVS_OK);
    tdrv("wrong_abi.so", pb, sizeof pb);
    st = loader_load(pb, "wrong_abi.so", b, &e);
    if (st == UVS_OK)
        snprintf(name_bad, sizeof name_bad, "%s", b->info.name);
    loader_unload(b);
    loader_unload(a);
    ck_assert_msg(st == UVS_DRIVER, "wrong_abi.so accepted while good_a.so was loaded (as \"%s\")",
                  name_bad);
}
END_TEST

/* ---- loader_probe ---------------------------------------------------- */

START_TEST(test_probe_good)
{
    char path[PATH_MAX];
    struct uv_probe pr;
    uint8_t want[32];
    tdrv("good_a.so", path, sizeof path);
    file_sha256(path, want);
    uv_status st = loader_probe(path, "good_a.so", &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_msg(st == UVS_OK, "probe good_a: %s", pr.message);
    ck_assert_int_eq(pr.status, UVS_OK);
    ck_assert_int_eq(pr.self_test_rc, UV_OK);
    ck_assert_mem_eq(pr.sha256, want, 32);
    ck_assert_str_eq(pr.info.name, "good-a");
    ck_assert_uint_eq(pr.info.n_codes, 2);
    ck_assert_str_eq(pr.info.codes[1], "TST-A2");
    ck_assert_str_eq(pr.message, "");
}
END_TEST

START_TEST(test_probe_crash)
{
    char path[PATH_MAX];
    struct uv_probe pr;
    /* crashes inside dlopen (constructor) */
    uv_status st = loader_probe(tdrv("crash_on_load.so", path, sizeof path), "crash_on_load.so",
                                &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_int_eq(st, UVS_DRIVER);
    ck_assert_int_eq(pr.status, UVS_DRIVER);
    assert_has(pr.message, "crash_on_load.so: driver crashed while loading");
    assert_has(pr.message, "refused");
    ck_assert_str_eq(pr.info.name, ""); /* nothing half-read is passed on */
    /* crashes in the entry function (abort) */
    st = loader_probe(tdrv("crash_in_entry.so", path, sizeof path), "crash_in_entry.so",
                      &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_int_eq(st, UVS_DRIVER);
    assert_has(pr.message, "crash_in_entry.so: driver crashed while loading");
    /* ends the process "successfully" without answering */
    st = loader_probe(tdrv("exit_on_load.so", path, sizeof path), "exit_on_load.so", &test_svc,
                      NULL, PROBE_MS, &pr);
    ck_assert_int_eq(st, UVS_DRIVER);
    assert_has(pr.message, "exit_on_load.so: driver crashed while loading (exit status 0)");
}
END_TEST

START_TEST(test_probe_hang)
{
    char path[PATH_MAX];
    struct uv_probe pr;
    int64_t t0 = now_ms();
    uv_status st = loader_probe(tdrv("hang_on_load.so", path, sizeof path), "hang_on_load.so",
                                &test_svc, NULL, 500, &pr);
    int64_t took = now_ms() - t0;
    ck_assert_int_eq(st, UVS_DRIVER);
    ck_assert_int_eq(pr.status, UVS_DRIVER);
    assert_has(pr.message, "hang_on_load.so: driver hung while loading (no answer in 500 ms)");
    ck_assert_int_ge(took, 450);
    ck_assert_msg(took < 5000, "the probe of a hanging driver took %lld ms",
                  (long long)took);
}
END_TEST

START_TEST(test_probe_selftest_fail)
{
    char path[PATH_MAX];
    struct uv_probe pr;
    uv_status st = loader_probe(tdrv("selftest_fail.so", path, sizeof path), "selftest_fail.so",
                                &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_int_eq(st, UVS_DRIVER);
    ck_assert_int_eq(pr.self_test_rc, UV_E_SELFTEST);
    assert_has(pr.message, "selftest_fail.so: self test failed: test driver self test failed");
    /* the descriptor itself was fine */
    ck_assert_str_eq(pr.info.name, "selftest-fail");
}
END_TEST

START_TEST(test_probe_bad_descriptors)
{
    static const struct {
        const char *file, *reason;
    } cases[] = {
        {"wrong_abi.so", "wrong ABI version"},
        {"bad_magic.so", "magic"},
        {"no_entry.so", "missing symbol"},
        {"null_desc.so", "no descriptor"},
        {"small_struct.so", "too small"},
        {"no_codes.so", "no meter type codes"},
        {"bad_code.so", "is invalid"},
        {"missing_fn.so", "issue_credit is missing"},
        {"token_no_decode.so", "decode_token"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[PATH_MAX];
        struct uv_probe pr;
        uv_status st = loader_probe(tdrv(cases[i].file, path, sizeof path), cases[i].file,
                                    &test_svc, NULL, PROBE_MS, &pr);
        ck_assert_msg(st == UVS_DRIVER, "%s: %d %s", cases[i].file, st, pr.message);
        assert_has(pr.message, cases[i].file);
        assert_has(pr.message, cases[i].reason);
    }
    char path[PATH_MAX];
    struct uv_probe pr;
    ck_assert_int_eq(loader_probe(tdrv("nonesuch.so", path, sizeof path), "nonesuch.so",
                                  &test_svc, NULL, PROBE_MS, &pr),
                     UVS_NOTFOUND);
}
END_TEST

START_TEST(test_probe_not_drivers)
{
    struct junk j;
    struct uv_probe pr;
    junk_make(&j);
    const char *files[] = {j.text, j.empty, j.tiny, j.trunc_ph, j.trunc_seg, j.other_cpu};
    const char *reasons[] = {"not an ELF", "not an ELF", "not an ELF",
                             "truncated", "truncated", "another processor"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *file = strrchr(files[i], '/') + 1;
        uv_status st = loader_probe(files[i], file, &test_svc, NULL, PROBE_MS, &pr);
        ck_assert_msg(st == UVS_DRIVER, "%s: %d %s", file, st, pr.message);
        assert_has(pr.message, file);
        assert_has(pr.message, reasons[i]);
    }
    junk_free(&j);
}
END_TEST

/* Real shared objects damaged in the middle: what ld.so makes of them is
   not ours to predict, so only the probe touches them. */
START_TEST(test_probe_damaged)
{
    char good[PATH_MAX], p[PATH_MAX];
    size_t len;
    struct uv_probe pr;
    char *dir = tu_mkdtemp();
    uint8_t *img = read_all(tdrv("good_a.so", good, sizeof good), &len);
    uint8_t *c = malloc(len);
    ck_assert_ptr_nonnull(c);

    /* 1. 256 bytes flipped in the middle of the file. Whatever was there,
          the probe answers (it does not take us down), and if the file still
          loads, the hash is of the damaged bytes, not the original's. */
    memcpy(c, img, len);
    for (size_t i = len / 2 - 128; i < len / 2 + 128; i++)
        c[i] ^= 0xff;
    path_in(dir, "flipped_mid.so", p, sizeof p);
    write_all(p, c, len);
    uint8_t h_orig[32], h_bad[32];
    gcry_md_hash_buffer(GCRY_MD_SHA256, h_orig, img, len);
    gcry_md_hash_buffer(GCRY_MD_SHA256, h_bad, c, len);
    uv_status st = loader_probe(p, "flipped_mid.so", &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_msg(st == UVS_OK || st == UVS_DRIVER, "flipped_mid: %d %s", st, pr.message);
    if (st == UVS_OK) {
        ck_assert_mem_eq(pr.sha256, h_bad, 32);
        ck_assert_mem_ne(pr.sha256, h_orig, 32);
    } else {
        ck_assert_str_ne(pr.message, "");
    }

    /* 2. the dynamic section overwritten with garbage: never a driver */
    Elf64_Ehdr eh;
    memcpy(&eh, img, sizeof eh);
    size_t dyn_off = 0, dyn_sz = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_DYNAMIC) {
            dyn_off = ph.p_offset;
            dyn_sz = ph.p_filesz;
        }
    }
    ck_assert_uint_gt(dyn_sz, 0);
    ck_assert_uint_le(dyn_off + dyn_sz, len);
    memcpy(c, img, len);
    memset(c + dyn_off, 0xff, dyn_sz);
    path_in(dir, "bad_dynamic.so", p, sizeof p);
    write_all(p, c, len);
    st = loader_probe(p, "bad_dynamic.so", &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_msg(st == UVS_DRIVER, "bad_dynamic: %d %s", st, pr.message);
    assert_has(pr.message, "bad_dynamic.so");

    /* 3. the ELF magic flipped: refused before anything is loaded */
    memcpy(c, img, len);
    c[0] ^= 0x01;
    path_in(dir, "bad_header.so", p, sizeof p);
    write_all(p, c, len);
    ck_assert_int_eq(loader_probe(p, "bad_header.so", &test_svc, NULL, PROBE_MS, &pr), UVS_DRIVER);
    assert_has(pr.message, "not an ELF");

    free(c);
    free(img);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* A position-independent executable is ET_DYN too, but no driver. */
START_TEST(test_probe_executable)
{
    const char *exe = access("/bin/true", R_OK) == 0 ? "/bin/true" : "/usr/bin/true";
    char *dir = tu_mkdtemp();
    char p[PATH_MAX];
    struct uv_probe pr;
    path_in(dir, "true.so", p, sizeof p);
    tu_copy(exe, p);
    uv_status st = loader_probe(p, "true.so", &test_svc, NULL, PROBE_MS, &pr);
    ck_assert_msg(st == UVS_DRIVER, "an executable passed as a driver: %d %s", st, pr.message);
    assert_has(pr.message, "true.so");
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, test_type_code_valid);
    tcase_add_test(tc, test_media_text);
    tcase_add_test(tc, test_validate_good);
    tcase_add_test(tc, test_validate_null);
    tcase_add_test(tc, test_validate_magic);
    tcase_add_test(tc, test_validate_abi);
    tcase_add_test(tc, test_validate_struct_size);
    tcase_add_test(tc, test_validate_atr_patterns);
    tcase_add_test(tc, test_validate_atr_patterns_refused);
    tcase_add_test(tc, test_validate_texts);
    tcase_add_test(tc, test_validate_media);
    tcase_add_test(tc, test_validate_codes);
    tcase_add_test(tc, test_validate_code_count);
    tcase_add_test(tc, test_validate_required_functions);
    tcase_add_test(tc, test_validate_token_needs_decode);
    suite_add_tcase(s, tc);

    tc = tcase_create("resolve");
    tcase_add_test(tc, test_resolve_inside);
    tcase_add_test(tc, test_resolve_outside);
    tcase_add_test(tc, test_resolve_relative);
    tcase_add_test(tc, test_resolve_symlink_out);
    tcase_add_test(tc, test_resolve_missing);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, test_load_good);
    tcase_add_test(tc, test_load_card_driver);
    tcase_add_test(tc, test_load_bad_drivers);
    tcase_add_test(tc, test_load_not_drivers);
    tcase_add_test(tc, test_load_name_too_long);
    tcase_add_test(tc, test_load_flipped_magic);
    tcase_add_test(tc, test_load_two_at_once);
    tcase_add_checked_fixture(tc, load_setup, load_teardown);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("probe");
    tcase_add_test(tc, test_probe_good);
    tcase_add_test(tc, test_probe_crash);
    tcase_add_test(tc, test_probe_hang);
    tcase_add_test(tc, test_probe_selftest_fail);
    tcase_add_test(tc, test_probe_bad_descriptors);
    tcase_add_test(tc, test_load_expecting_refuses_before_running);
    tcase_add_test(tc, test_probe_not_drivers);
    tcase_add_test(tc, test_probe_damaged);
    tcase_add_test(tc, test_probe_executable);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
