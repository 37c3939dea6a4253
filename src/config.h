/*
 * config.h — the kiosk configuration file (HOME/univend.conf).
 *
 * Plain "name = value" lines; '#' starts a comment. Unknown names are
 * refused (a typo must not silently leave a default in force). Every value
 * is checked when read, and the line number of any problem is reported.
 */
#ifndef UV_CONFIG_H
#define UV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define UV_DRIVER_CONFIG_MAX 16

struct uv_config {
    char kiosk_id[32];
    char currency[4];          /* ISO 4217 code, e.g. "ZAR"            */
    unsigned currency_decimals;/* minor unit digits, 0..4              */
    int64_t min_sale;          /* minor units                          */
    int64_t max_sale;          /* minor units                          */
    char driver_dir[4096];     /* where driver .so files live          */
    char passphrase_file[4096];/* key store passphrase; empty: ask     */
    char printer[4096];        /* receipt printer device/file; empty: none */
    int printer_escpos;        /* 1: ESC/POS, 0: plain text            */
    unsigned idle_lock_minutes;/* kiosk locks after this idle time     */
    char language[8];          /* "en" or "zh"                         */
    unsigned pin_max_tries;    /* wrong PINs before lockout            */
    unsigned pin_lockout_minutes;
    uint32_t pin_kdf_iterations;
    char export_dir[4096];     /* where export files go (a USB mount)  */
    char import_dir[4096];     /* where head office's instruction files come */
    unsigned export_every_sales; /* write an export after N sales; 0 off */
    int export_daily_minute;   /* minute of the day (UTC) to export; -1 off */
    unsigned db_cache_mb;      /* Berkeley DB cache                    */
    unsigned rounding;         /* enum rounding (tariff.h): VAT, levies */
    unsigned clock_tolerance_minutes; /* a clock this far behind the floor still sells */
    int credit_required;       /* no vending credit granted yet: 1 refuse
                                  to sell, 0 sell (credit.h)            */
    unsigned clock_jump_days;  /* past the last activity by more: a supervisor
                                  confirms the time; 0 off              */
    /* card readers (PC/SC): a name matches a reader whose name starts with it */
    char card_reader[128];     /* UV_SLOT_USER, the customer's card; "" none */
    char sam_reader[128];      /* UV_SLOT_SAM, a secure access module; "" none */
    unsigned card_wait_seconds;/* how long a card sale waits for the card */
    /* driver.<name>.<key> = value lines, passed to that driver's open() */
    struct { char driver[32]; char name[32]; char value[128]; } driver_opts[UV_DRIVER_CONFIG_MAX];
    size_t n_driver_opts;
};

void config_defaults(struct uv_config *c, const char *default_driver_dir);
/* Parse text (len bytes, need not be NUL-terminated). */
uv_status config_parse(struct uv_config *c, const char *text, size_t len, struct uv_error *err);
/* Read HOME/univend.conf; a missing file leaves the defaults. */
uv_status config_load(struct uv_config *c, const char *path, struct uv_error *err);
/* Write a fresh configuration file (used by init). */
uv_status config_write(const struct uv_config *c, const char *path, struct uv_error *err);

#endif
