/* config.c — reading and writing univend.conf. */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "money.h"

#define CONFIG_MAX_BYTES (64 * 1024)

void config_defaults(struct uv_config *c, const char *default_driver_dir)
{
    memset(c, 0, sizeof *c);
    snprintf(c->kiosk_id, sizeof c->kiosk_id, "KIOSK-1");
    snprintf(c->currency, sizeof c->currency, "ZAR");
    c->currency_decimals = 2;
    c->min_sale = 100;        /* 1.00   */
    c->max_sale = 1000000;    /* 10000.00 */
    snprintf(c->driver_dir, sizeof c->driver_dir, "%s", default_driver_dir);
    c->printer_escpos = 1;
    c->idle_lock_minutes = 5;
    snprintf(c->language, sizeof c->language, "en");
    c->pin_max_tries = 5;
    c->pin_lockout_minutes = 15;
    c->pin_kdf_iterations = 150000;
    c->export_daily_minute = -1;
    c->db_cache_mb = 8;
    c->clock_tolerance_minutes = 5;
    c->clock_jump_days = 7;
    c->card_wait_seconds = 30;
}

/* A whole number in [lo, hi]. */
static int parse_uint(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
    unsigned long x = 0;
    if (*v == '\0' || strlen(v) > 9)
        return 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        x = x * 10 + (unsigned long)(*p - '0');
    }
    if (x < lo || x > hi)
        return 0;
    *out = x;
    return 1;
}

static int id_ok(const char *v)
{
    if (*v == '\0')
        return 0;
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && *v != '-' && *v != '_' && *v != '.')
            return 0;
    return 1;
}

static uv_status set_str(char *dst, size_t cap, const char *v, unsigned line, const char *name,
                         struct uv_error *err)
{
    if (strlen(v) >= cap)
        return uv_fail(err, UVS_INPUT, "univend.conf line %u: %s is too long", line, name);
    memcpy(dst, v, strlen(v) + 1);
    return UVS_OK;
}

static uv_status apply(struct uv_config *c, const char *name, const char *v, unsigned line,
                       int64_t *min_raw, int64_t *max_raw, struct uv_error *err)
{
    if (strcmp(name, "kiosk_id") == 0) {
        if (!id_ok(v))
            return uv_fail(err, UVS_INPUT,
                           "univend.conf line %u: kiosk_id must be letters, digits, '-', '_', '.'",
                           line);
        return set_str(c->kiosk_id, sizeof c->kiosk_id, v, line, name, err);
    }
    if (strcmp(name, "currency") == 0) {
        if (strlen(v) != 3 || !isupper((unsigned char)v[0]) || !isupper((unsigned char)v[1]) ||
            !isupper((unsigned char)v[2]))
            return uv_fail(err, UVS_INPUT,
                           "univend.conf line %u: currency must be a 3-letter ISO 4217 code", line);
        return set_str(c->currency, sizeof c->currency, v, line, name, err);
    }
    if (strcmp(name, "currency_decimals") == 0) {
        if (strlen(v) != 1 || v[0] < '0' || v[0] > '4')
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: currency_decimals must be 0..4",
                           line);
        c->currency_decimals = (unsigned)(v[0] - '0');
        return UVS_OK;
    }
    if (strcmp(name, "min_sale") == 0 || strcmp(name, "max_sale") == 0) {
        /* kept as text scaled by 10^4 until decimals are known */
        int64_t x;
        struct uv_error e2;
        if (money_parse(v, 4, &x, &e2) != UVS_OK)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: %s is not an amount", line,
                           name);
        *(name[1] == 'i' ? min_raw : max_raw) = x;
        return UVS_OK;
    }
    if (strcmp(name, "driver_dir") == 0) {
        if (v[0] != '/')
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: driver_dir must be absolute",
                           line);
        return set_str(c->driver_dir, sizeof c->driver_dir, v, line, name, err);
    }
    if (strcmp(name, "passphrase_file") == 0)
        return set_str(c->passphrase_file, sizeof c->passphrase_file, v, line, name, err);
    if (strcmp(name, "export_dir") == 0)
        return set_str(c->export_dir, sizeof c->export_dir, v, line, name, err);
    if (strcmp(name, "import_dir") == 0)
        return set_str(c->import_dir, sizeof c->import_dir, v, line, name, err);
    if (strcmp(name, "export_daily_at") == 0) {
        if (strlen(v) != 5 || v[2] != ':' || v[0] < '0' || v[0] > '2' || v[1] < '0' ||
            v[1] > '9' || v[3] < '0' || v[3] > '5' || v[4] < '0' || v[4] > '9' ||
            (v[0] - '0') * 10 + (v[1] - '0') > 23)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: export_daily_at is HH:MM (UTC)",
                           line);
        c->export_daily_minute = ((v[0] - '0') * 10 + (v[1] - '0')) * 60 + (v[3] - '0') * 10 +
                                 (v[4] - '0');
        return UVS_OK;
    }
    if (strcmp(name, "printer") == 0)
        return set_str(c->printer, sizeof c->printer, v, line, name, err);
    if (strcmp(name, "card_reader") == 0 || strcmp(name, "sam_reader") == 0) {
        char *dst = name[0] == 'c' ? c->card_reader : c->sam_reader;
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return uv_fail(err, UVS_INPUT, "univend.conf line %u: %s is not printable", line,
                               name);
        return set_str(dst, sizeof c->card_reader, v, line, name, err);
    }
    if (strcmp(name, "printer_format") == 0) {
        if (strcmp(v, "escpos") != 0 && strcmp(v, "text") != 0)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: printer_format is escpos or text",
                           line);
        c->printer_escpos = v[0] == 'e';
        return UVS_OK;
    }
    if (strcmp(name, "rounding") == 0) {
        if (strcmp(v, "half_up") == 0)
            c->rounding = 0;
        else if (strcmp(v, "half_even") == 0)
            c->rounding = 1;
        else if (strcmp(v, "down") == 0)
            c->rounding = 2;
        else
            return uv_fail(err, UVS_INPUT,
                           "univend.conf line %u: rounding is half_up, half_even or down", line);
        return UVS_OK;
    }
    if (strcmp(name, "credit_required") == 0) {
        if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: credit_required is yes or no",
                           line);
        c->credit_required = v[0] == 'y';
        return UVS_OK;
    }
    if (strcmp(name, "language") == 0) {
        if (strcmp(v, "en") != 0 && strcmp(v, "zh") != 0)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: language is en or zh", line);
        return set_str(c->language, sizeof c->language, v, line, name, err);
    }
    static const struct {
        const char *name;
        unsigned long lo, hi;
        size_t off;
        int wide;
    } nums[] = {
        {"idle_lock_minutes", 1, 1440, offsetof(struct uv_config, idle_lock_minutes), 0},
        {"pin_max_tries", 1, 20, offsetof(struct uv_config, pin_max_tries), 0},
        {"pin_lockout_minutes", 1, 10080, offsetof(struct uv_config, pin_lockout_minutes), 0},
        {"pin_kdf_iterations", 1000, 10000000, offsetof(struct uv_config, pin_kdf_iterations), 1},
        {"export_every_sales", 0, 1000000, offsetof(struct uv_config, export_every_sales), 0},
        {"db_cache_mb", 1, 65536, offsetof(struct uv_config, db_cache_mb), 0},
        {"clock_tolerance_minutes", 0, 1440, offsetof(struct uv_config, clock_tolerance_minutes), 0},
        {"clock_jump_days", 0, 3650, offsetof(struct uv_config, clock_jump_days), 0},
        {"card_wait_seconds", 1, 600, offsetof(struct uv_config, card_wait_seconds), 0},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if (strcmp(name, nums[i].name) != 0)
            continue;
        unsigned long x;
        if (!parse_uint(v, nums[i].lo, nums[i].hi, &x))
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: %s must be %lu..%lu", line,
                           name, nums[i].lo, nums[i].hi);
        if (nums[i].wide) {
            uint32_t w = (uint32_t)x;
            memcpy((char *)c + nums[i].off, &w, sizeof w);
        } else {
            unsigned u = (unsigned)x;
            memcpy((char *)c + nums[i].off, &u, sizeof u);
        }
        return UVS_OK;
    }
    if (strncmp(name, "driver.", 7) == 0) {
        const char *dot = strchr(name + 7, '.');
        if (dot == NULL || dot == name + 7 || dot[1] == '\0')
            return uv_fail(err, UVS_INPUT,
                           "univend.conf line %u: driver options are driver.NAME.OPTION", line);
        if (c->n_driver_opts >= UV_DRIVER_CONFIG_MAX)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: too many driver options", line);
        size_t dl = (size_t)(dot - (name + 7));
        typeof(c->driver_opts[0]) *o = &c->driver_opts[c->n_driver_opts];
        if (dl >= sizeof o->driver || strlen(dot + 1) >= sizeof o->name ||
            strlen(v) >= sizeof o->value)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: driver option too long", line);
        memcpy(o->driver, name + 7, dl);
        o->driver[dl] = '\0';
        strcpy(o->name, dot + 1);
        strcpy(o->value, v);
        c->n_driver_opts++;
        return UVS_OK;
    }
    return uv_fail(err, UVS_INPUT, "univend.conf line %u: unknown setting '%s'", line, name);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

uv_status config_parse(struct uv_config *c, const char *text, size_t len, struct uv_error *err)
{
    char line[1024];
    unsigned lineno = 0;
    size_t pos = 0;
    int64_t min_raw = -1, max_raw = -1;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t n = end - pos;
        if (n >= sizeof line)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u is too long", lineno);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (memchr(line, '\0', n) != NULL)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u contains a NUL byte", lineno);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL)
            return uv_fail(err, UVS_INPUT, "univend.conf line %u: expected name = value", lineno);
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        uv_status st = apply(c, name, value, lineno, &min_raw, &max_raw, err);
        if (st != UVS_OK)
            return st;
    }
    /* amounts were read with 4 decimals; rescale to the currency's */
    int64_t div = 1;
    for (unsigned i = c->currency_decimals; i < 4; i++)
        div *= 10;
    int64_t unit = 10000 / div; /* one major unit in minor units */
    if ((min_raw >= 0 && min_raw % div) || (max_raw >= 0 && max_raw % div))
        return uv_fail(err, UVS_INPUT,
                       "univend.conf: min_sale and max_sale have at most %u decimals",
                       c->currency_decimals);
    c->min_sale = min_raw >= 0 ? min_raw / div : 1 * unit;
    c->max_sale = max_raw >= 0 ? max_raw / div : 10000 * unit;
    if (c->min_sale <= 0 || c->max_sale < c->min_sale)
        return uv_fail(err, UVS_INPUT, "univend.conf: need 0 < min_sale <= max_sale");
    return UVS_OK;
}

uv_status config_load(struct uv_config *c, const char *path, struct uv_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return UVS_OK;
        return uv_fail(err, UVS_IO, "cannot read %s: %s", path, strerror(errno));
    }
    char *buf = malloc(CONFIG_MAX_BYTES);
    if (!buf) {
        close(fd);
        return uv_fail(err, UVS_NOMEM, "out of memory reading %s", path);
    }
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, buf + len, CONFIG_MAX_BYTES - len)) > 0)
        len += (size_t)r;
    close(fd);
    uv_status st;
    if (r < 0)
        st = uv_fail(err, UVS_IO, "cannot read %s: %s", path, strerror(errno));
    else if (len == CONFIG_MAX_BYTES)
        st = uv_fail(err, UVS_INPUT, "%s is larger than 64 KiB", path);
    else
        st = config_parse(c, buf, len, err);
    free(buf);
    return st;
}

/* A value written must read back the same: no '#', no line breaks, no
   blanks at either end. */
static int writable(const char *v)
{
    size_t n = strlen(v);
    return strpbrk(v, "#\r\n") == NULL &&
           (n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t'));
}

uv_status config_write(const struct uv_config *c, const char *path, struct uv_error *err)
{
    char min[32], max[32];
    if (!writable(c->passphrase_file) || !writable(c->printer) || !writable(c->driver_dir))
        return uv_fail(err, UVS_INPUT,
                       "a path in univend.conf may not contain '#', line breaks, or blanks at "
                       "either end");
    money_format(c->min_sale, c->currency_decimals, min, sizeof min);
    money_format(c->max_sale, c->currency_decimals, max, sizeof max);
    FILE *f = fopen(path, "wx");
    if (!f)
        return uv_fail(err, UVS_IO, "cannot create %s: %s", path, strerror(errno));
    fprintf(f,
            "# univend kiosk configuration\n"
            "kiosk_id = %s\n"
            "currency = %s\n"
            "currency_decimals = %u\n"
            "min_sale = %s\n"
            "max_sale = %s\n"
            "# driver_dir = /usr/lib/univend/drivers\n"
            "%s%s\n"
            "language = %s\n"
            "idle_lock_minutes = %u\n"
            "pin_max_tries = %u\n"
            "pin_lockout_minutes = %u\n"
            "pin_kdf_iterations = %u\n"
            "%s%s\n"
            "printer_format = %s\n"
            "# no vending credit from head office yet: yes refuses to sell\n"
            "credit_required = %s\n",
            c->kiosk_id, c->currency, c->currency_decimals, min, max,
            c->passphrase_file[0] ? "passphrase_file = " : "# passphrase_file = /etc/univend/passphrase",
            c->passphrase_file, c->language, c->idle_lock_minutes, c->pin_max_tries,
            c->pin_lockout_minutes, (unsigned)c->pin_kdf_iterations,
            c->printer[0] ? "printer = " : "# printer = /dev/usb/lp0", c->printer,
            c->printer_escpos ? "escpos" : "text", c->credit_required ? "yes" : "no");
    if (fclose(f) != 0)
        return uv_fail(err, UVS_IO, "cannot write %s: %s", path, strerror(errno));
    return UVS_OK;
}
