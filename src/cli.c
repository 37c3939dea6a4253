/* cli.c — parse the command line and call the core. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "export.h"
#include "hq.h"
#include "money.h"
#include "cli_float.h"
#include "cli_card.h"
#include "cli_batch.h"
#include "cli_mgmt.h"
#include "cli_trust.h"
#include "cli_instruct.h"
#include "hqinstruct.h"
#include "clerks.h"
#include "print.h"
#include "report.h"
#include "demo.h"
#include "init.h"
#include "keys.h"
#include "digest.h"
#include "drvsign.h"
#include "masterdata.h"
#include "receipt.h"
#include "services.h"
#include "typeindex.h"
#include "univend.h"
#include "vend.h"
#include "verify.h"

#define MAX_POS 8
#define MAX_OPT 24

struct args {
    const char *pos[MAX_POS];
    int npos;
    const char *opt_name[MAX_OPT];
    const char *opt_val[MAX_OPT];
    int nopt;
};

static const char usage_text[] =
    "usage: univend [--home DIR] [--clerk ID] [-v] COMMAND ...\n"
    "\n"
    "  init [--kiosk-id ID] [--currency XXX] [--decimals N] [--passphrase-file F]\n"
    "       [--kdf-iterations N] [--pin-kdf-iterations N] [--credit-required yes|no]\n"
    "                                        create a kiosk in --home\n"
    "  demo                                  create a demo kiosk (first run) and show it\n"
    "  sell --meter N --amount A             sell electricity; prints token and receipt\n"
    "  sell --batch FILE|-                   one sale per line \"METER AMOUNT\"; a line each\n"
    "  sell --card A [--wait S]              sell on the card in the reader (waits for it)\n"
    "  card readers | read [--wait S] | pending [clear METER --reason TEXT]   card readers\n"
    "  receipt show N | reprint N | list [--meter N] [--clerk ID] [--limit K]\n"
    "  report shift [--clerk ID] [--close] | day [--close]   shift / Z reports\n"
    "  clerk add ID --name NAME --role clerk|supervisor | list | pin ID\n"
    "  clerk disable ID | enable ID          (PINs from $UNIVEND_PIN or asked)\n"
    "  token decode TOKEN --meter N          decode and authenticate a token\n"
    "  meter add N --type CODE --customer ID --tariff ID [--param name=value]...\n"
    "  meter list | show N\n"
    "  customer add ID --name NAME [--address A] [--phone P] | list\n"
    "  tariff add ID (--price P | --blocks KWH:P,...,0:P) [--vat PCT] [--name N]\n"
    "       [--levy NAME:PCT]... [--fixed A] [--lifeline-kwh K] | list\n"
    "  customer debt ID --amount A (--recover-percent PCT | --recover-fixed A)\n"
    "  key add REF (--hex HEX | --random BYTES) | list\n"
    "  driver register FILE [--codes A,B] [--signature SIG] | list | remove CODE\n"
    "  driver verify [CODE] | scan | check FILE\n"
    "  driver sign FILE [--codes A,B] [--name N --version V] [--out SIG]   (head office)\n"
    "  audit list [--limit K] | verify\n"
    "  credit                                the vending credit head office granted\n"
    "  clock show | set \"YYYY-MM-DD HH:MM[:SS]\" | confirm   the kiosk's guarded clock\n"
    "  store verify                          check receipts, counters, chains\n"
    "  store backup DIR                      hot backup (Berkeley DB's own)\n"
    "  engineering power-limit|clear-credit|clear-tamper|tariff-rate|key-change|rollover\n"
    "       --meter N ... --reason TEXT | engineering list [--meter N]   (supervisor)\n"
    "  export [--dir D] | export --rewrite FIRST[-LAST] [--dir D] | export list\n"
    "  export pubkey                         the key head office registers\n"
    "  import FILE|DIR...                    (head office) verify and merge exports\n"
    "  hq kiosk add ID --pubkey HEX | hq kiosk list | hq report | hq missing\n"
    "  hq export-csv [--out FILE]            receipts for a billing system\n"
    "  hq keygen | hq pubkey                 head office's signing key (public key: 64 hex)\n"
    "  hq instruct (--kiosk ID | --group G | --all) --out DIR [--expires-days N]\n"
    "       [--driver FILE.so]... [RECORDS|-]   a signed instruction file for kiosks\n"
    "  hq kiosk group ID NAME                put a kiosk in a group\n"
    "  trust add NAME HEX | list | revoke NAME   head office keys this kiosk trusts\n"
    "  instruction apply FILE|DIR... | list | state   head office's files, at the kiosk\n"
    "  blacklist list | check SERIAL         card serials head office blacklisted\n"
    "\n"
    "Home: --home, else $UNIVEND_HOME, else /var/lib/univend.\n"
    "Exit status: 0 ok, 2 usage, 3 bad input, 4 not found, 5 exists, 6 refused,\n"
    "7 driver, 8 storage, 9 key store, 10 i/o.\n";

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "univend: %s\n", why);
    fputs(usage_text, stderr);
    return UVS_USAGE;
}

/* Split argv into positionals and --name value pairs; flags listed in
   `flags` take no value. */
static int parse_args(int argc, char **argv, const char *allowed, struct args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) == 0 && s[2]) {
            char key[40];
            snprintf(key, sizeof key, " %s ", s + 2);
            if (strstr(allowed, key) == NULL) {
                fprintf(stderr, "univend: unknown option %s\n", s);
                return -1;
            }
            if (i + 1 >= argc || a->nopt >= MAX_OPT) {
                fprintf(stderr, "univend: option %s needs a value\n", s);
                return -1;
            }
            a->opt_name[a->nopt] = s + 2;
            a->opt_val[a->nopt++] = argv[++i];
        } else {
            if (a->npos >= MAX_POS) {
                fprintf(stderr, "univend: too many arguments\n");
                return -1;
            }
            a->pos[a->npos++] = s;
        }
    }
    return 0;
}

static const char *opt(const struct args *a, const char *name)
{
    for (int i = 0; i < a->nopt; i++)
        if (strcmp(a->opt_name[i], name) == 0)
            return a->opt_val[i];
    return NULL;
}

/* Copy an option's text into a record field of cap bytes; an absent option
   leaves the field empty. 0 when the text does not fit. */
static int copy_field(char *dst, size_t cap, const char *src)
{
    if (src == NULL)
        return 1;
    size_t n = strlen(src);
    if (n >= cap)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

static int fail(struct uv_ctx *ctx, uv_status st)
{
    if (st != UVS_OK)
        fprintf(stderr, "univend: %s\n",
                ctx->err.message[0] ? ctx->err.message : uv_status_name(st));
    return (int)st;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v > 0xFFFFFFFFul || s[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int cmd_init(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (parse_args(argc, argv,
                   " kiosk-id currency decimals passphrase-file kdf-iterations pin-kdf-iterations "
                   "credit-required ",
                   &a) ||
        a.npos)
        return usage("init takes only options");
    uint32_t iter = UV_KDF_ITER_DEFAULT, dec = 2, pin_iter = 0;
    if (opt(&a, "pin-kdf-iterations") &&
        (parse_u32(opt(&a, "pin-kdf-iterations"), &pin_iter) || pin_iter < 1000))
        return usage("--pin-kdf-iterations needs a number of at least 1000");
    if (opt(&a, "kdf-iterations") && parse_u32(opt(&a, "kdf-iterations"), &iter))
        return usage("--kdf-iterations needs a number");
    if (opt(&a, "decimals") && (parse_u32(opt(&a, "decimals"), &dec) || dec > 4))
        return usage("--decimals must be 0..4");
    struct kiosk_init_opts di = {
        .kiosk_id = opt(&a, "kiosk-id"),
        .currency = opt(&a, "currency"),
        .decimals = dec,
        .passphrase_file = opt(&a, "passphrase-file"),
        .kdf_iterations = iter,
        .pin_kdf_iterations = pin_iter,
        .credit_required = opt(&a, "credit-required"),
    };
    uv_status st = kiosk_init(ctx, &di);
    if (st == UVS_OK)
        printf("kiosk %s created in %s\n", ctx->cfg.kiosk_id, ctx->home);
    return fail(ctx, st);
}

static int cmd_driver(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    const char *use = "driver register FILE [--codes A,B] [--signature SIG] | list | remove CODE |\n"
                      "       verify [CODE] | scan | check FILE |\n"
                      "       sign FILE [--codes A,B] [--name N --version V] [--out SIG]";
    if (argc < 1)
        return usage("driver: which action?");
    if (parse_args(argc - 1, argv + 1, " codes signature name version out ", &a))
        return usage(NULL);
    const char *act = argv[0];
    uv_status st;
    if (strcmp(act, "register") == 0 && a.npos == 1 && !opt(&a, "name") && !opt(&a, "version") &&
        !opt(&a, "out")) {
        char sig[DRVSIG_MAX + 2];
        size_t len = 0;
        st = UVS_OK;
        if (opt(&a, "signature"))
            st = driver_signature_read(ctx, opt(&a, "signature"), sig, sizeof sig, &len);
        if (st == UVS_OK)
            st = typeindex_register_signed(ctx, a.pos[0], opt(&a, "codes"),
                                           opt(&a, "signature") ? sig : NULL, len, stdout);
    } else if (strcmp(act, "sign") == 0 && a.npos == 1 && !opt(&a, "signature")) {
        struct driver_sign_opts so = {opt(&a, "name"), opt(&a, "version"), opt(&a, "codes"),
                                      opt(&a, "out")};
        st = driver_sign(ctx, a.pos[0], &so, stdout);
    } else if (a.nopt) {
        return usage(use);
    } else if (strcmp(act, "list") == 0 && a.npos == 0) {
        st = typeindex_list(ctx, stdout);
    } else if (strcmp(act, "remove") == 0 && a.npos == 1) {
        st = typeindex_remove(ctx, a.pos[0], stdout);
    } else if (strcmp(act, "verify") == 0 && a.npos <= 1) {
        st = typeindex_verify(ctx, a.npos ? a.pos[0] : NULL, stdout);
    } else if (strcmp(act, "scan") == 0 && a.npos == 0) {
        st = typeindex_scan(ctx, stdout);
    } else if (strcmp(act, "check") == 0 && a.npos == 1) {
        st = typeindex_check_file(ctx, a.pos[0], stdout);
    } else {
        return usage(use);
    }
    return fail(ctx, st);
}

static int cmd_key(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 || parse_args(argc - 1, argv + 1, " hex random ", &a))
        return usage("key add REF (--hex HEX | --random BYTES) | list");
    if (strcmp(argv[0], "list") == 0 && a.npos == 0) {
        return fail(ctx, keys_list(ctx, stdout));
    }
    if (strcmp(argv[0], "add") != 0 || a.npos != 1 || (!opt(&a, "hex") == !opt(&a, "random")))
        return usage("key add REF (--hex HEX | --random BYTES)");
    uint8_t key[UV_KEY_MAX];
    size_t len;
    uint32_t rl;
    if (opt(&a, "hex")) {
        len = strlen(opt(&a, "hex")) / 2;
        if (len == 0 || len > sizeof key || digest_unhex(opt(&a, "hex"), key, len) != 0) {
            fprintf(stderr, "univend: --hex needs an even number of hex digits (at most %d bytes)\n",
                    UV_KEY_MAX);
            return UVS_INPUT;
        }
    } else {
        if (parse_u32(opt(&a, "random"), &rl) || rl == 0 || rl > sizeof key) {
            fprintf(stderr, "univend: --random needs 1..%d bytes\n", UV_KEY_MAX);
            return UVS_INPUT;
        }
        len = rl;
        gcry_randomize(key, len, GCRY_STRONG_RANDOM);
    }
    uv_status st = keys_add(ctx, a.pos[0], key, len);
    explicit_bzero(key, sizeof key);
    if (st == UVS_OK)
        printf("key %s stored (%zu bytes, wrapped)\n", a.pos[0], len);
    return fail(ctx, st);
}

static int cmd_customer(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 ||
        parse_args(argc - 1, argv + 1,
                   " name address phone amount recover-percent recover-fixed ", &a))
        return usage("customer add ID --name NAME [--address A] [--phone P] | list |\n"
                     "       debt ID --amount A (--recover-percent PCT | --recover-fixed A)");
    if (strcmp(argv[0], "list") == 0 && a.npos == 0)
        return fail(ctx, customer_list(ctx, stdout));
    if (strcmp(argv[0], "debt") == 0 && a.npos == 1 && opt(&a, "amount")) {
        int64_t debt = 0, fixed = 0;
        uint32_t bp = 0;
        uv_status st = money_parse(opt(&a, "amount"), ctx->cfg.currency_decimals, &debt, &ctx->err);
        if (st == UVS_OK && opt(&a, "recover-percent"))
            st = percent_parse(opt(&a, "recover-percent"), &bp, &ctx->err);
        if (st == UVS_OK && opt(&a, "recover-fixed"))
            st = money_parse(opt(&a, "recover-fixed"), ctx->cfg.currency_decimals, &fixed, &ctx->err);
        if (st == UVS_OK)
            st = customer_set_debt(ctx, a.pos[0], debt, bp, fixed);
        if (st == UVS_OK)
            printf("customer %s owes %s\n", a.pos[0], opt(&a, "amount"));
        return fail(ctx, st);
    }
    if (strcmp(argv[0], "add") != 0 || a.npos != 1 || !opt(&a, "name"))
        return usage("customer add ID --name NAME [--address A] [--phone P]");
    struct rec_customer c;
    memset(&c, 0, sizeof c);
    if (!copy_field(c.id, sizeof c.id, a.pos[0]) ||
        !copy_field(c.name, sizeof c.name, opt(&a, "name")) ||
        !copy_field(c.address, sizeof c.address, opt(&a, "address")) ||
        !copy_field(c.phone, sizeof c.phone, opt(&a, "phone"))) {
        fprintf(stderr, "univend: a customer field is too long\n");
        return UVS_INPUT;
    }
    uv_status st = customer_add(ctx, &c);
    if (st == UVS_OK)
        printf("customer %s added\n", c.id);
    return fail(ctx, st);
}

/* "50:1.20,350:1.80,0:2.40": up to 50 kWh at 1.20, up to 350 at 1.80, the rest at 2.40 */
static uv_status parse_blocks(struct uv_ctx *ctx, const char *text, struct rec_tariff *t)
{
    char tmp[256];
    if (strlen(text) >= sizeof tmp)
        return uv_fail(&ctx->err, UVS_INPUT, "--blocks is too long");
    strcpy(tmp, text);
    t->n_blocks = 0;
    for (char *sv, *b = strtok_r(tmp, ",", &sv); b; b = strtok_r(NULL, ",", &sv)) {
        char *colon = strchr(b, ':');
        int64_t upto_tenths;
        if (colon == NULL || t->n_blocks >= 4)
            return uv_fail(&ctx->err, UVS_INPUT, "--blocks is UPTO_KWH:PRICE,... (at most 4)");
        *colon = '\0';
        if (money_parse(b, 1, &upto_tenths, &ctx->err) != UVS_OK ||
            price_parse(colon + 1, ctx->cfg.currency_decimals,
                        &t->block_price_milli[t->n_blocks], &ctx->err) != UVS_OK)
            return uv_fail(&ctx->err, UVS_INPUT, "--blocks: '%s:%s' is not UPTO_KWH:PRICE", b,
                           colon + 1);
        t->block_upto_wh[t->n_blocks++] = (uint64_t)upto_tenths * 100;
    }
    return UVS_OK;
}

static int cmd_tariff(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    const char *use = "tariff add ID (--price P | --blocks UPTO:P,...,0:P) [--vat PCT] [--name N]\n"
                      "       [--levy NAME:PCT]... [--fixed AMOUNT] [--lifeline-kwh KWH] | list";
    if (argc < 1 ||
        parse_args(argc - 1, argv + 1, " price blocks vat name levy fixed lifeline-kwh ", &a))
        return usage(use);
    if (strcmp(argv[0], "list") == 0 && a.npos == 0)
        return fail(ctx, tariff_list(ctx, stdout));
    if (strcmp(argv[0], "add") != 0 || a.npos != 1 || (!opt(&a, "price") == !opt(&a, "blocks")))
        return usage(use);
    struct rec_tariff t;
    memset(&t, 0, sizeof t);
    if (!copy_field(t.id, sizeof t.id, a.pos[0]) ||
        !copy_field(t.name, sizeof t.name, opt(&a, "name")))
        return usage("tariff id or name too long");
    uv_status st = UVS_OK;
    if (opt(&a, "price"))
        st = price_parse(opt(&a, "price"), ctx->cfg.currency_decimals, &t.price_milli, &ctx->err);
    else
        st = parse_blocks(ctx, opt(&a, "blocks"), &t);
    if (st == UVS_OK)
        st = percent_parse(opt(&a, "vat") ? opt(&a, "vat") : "0", &t.vat_bp, &ctx->err);
    for (int i = 0; st == UVS_OK && i < a.nopt; i++) {
        if (strcmp(a.opt_name[i], "levy") != 0)
            continue;
        const char *v = a.opt_val[i], *colon = strrchr(v, ':');
        if (colon == NULL || colon == v || t.n_levies >= 3 || (size_t)(colon - v) >= sizeof t.levy_name[0])
            st = uv_fail(&ctx->err, UVS_INPUT, "--levy is NAME:PERCENT (at most 3)");
        else if ((st = percent_parse(colon + 1, &t.levy_bp[t.n_levies], &ctx->err)) == UVS_OK) {
            memcpy(t.levy_name[t.n_levies], v, (size_t)(colon - v));
            t.n_levies++;
        }
    }
    if (st == UVS_OK && opt(&a, "fixed"))
        st = money_parse(opt(&a, "fixed"), ctx->cfg.currency_decimals, &t.fixed_monthly, &ctx->err);
    if (st == UVS_OK && opt(&a, "lifeline-kwh")) {
        int64_t tenths;
        st = money_parse(opt(&a, "lifeline-kwh"), 1, &tenths, &ctx->err);
        t.lifeline_wh = (uint64_t)tenths * 100;
    }
    if (st == UVS_OK)
        st = tariff_add_full(ctx, &t);
    if (st == UVS_OK)
        printf("tariff %s added\n", t.id);
    return fail(ctx, st);
}

static int cmd_meter(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return usage("meter add | list | show");
    if (strcmp(argv[0], "list") == 0 && argc == 1)
        return fail(ctx, meter_list(ctx, stdout));
    if (strcmp(argv[0], "show") == 0 && argc == 2)
        return fail(ctx, meter_show(ctx, argv[1], stdout));
    if (strcmp(argv[0], "add") != 0)
        return usage("meter add N --type CODE --customer ID --tariff ID [--param name=value]...");
    struct args a;
    if (parse_args(argc - 1, argv + 1, " type customer tariff param ", &a) || a.npos != 1 ||
        !opt(&a, "type") || !opt(&a, "customer") || !opt(&a, "tariff"))
        return usage("meter add N --type CODE --customer ID --tariff ID [--param name=value]...");
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    if (!copy_field(m.number, sizeof m.number, a.pos[0]) ||
        !copy_field(m.type_code, sizeof m.type_code, opt(&a, "type")) ||
        !copy_field(m.customer, sizeof m.customer, opt(&a, "customer")) ||
        !copy_field(m.tariff, sizeof m.tariff, opt(&a, "tariff"))) {
        fprintf(stderr, "univend: a meter field is too long\n");
        return UVS_INPUT;
    }
    for (int i = 0; i < a.nopt; i++)
        if (strcmp(a.opt_name[i], "param") == 0 &&
            params_add(m.params, sizeof m.params, a.opt_val[i], &ctx->err) != UVS_OK)
            return fail(ctx, ctx->err.status);
    return fail(ctx, meter_add(ctx, &m, stdout));
}

/* A sale is stored: its receipt shown and printed, a periodic export if due. */
static void after_sale(struct uv_ctx *ctx, const struct rec_receipt *r)
{
    receipt_print(ctx, r, stdout);
    if (print_receipt(ctx, r) != UVS_OK) /* the sale stands; say why it did not print */
        fprintf(stderr, "univend: %s\n", ctx->err.message);
    cli_credit_warning(ctx);
    struct rec_export e;
    int written = 0;
    if (export_if_due(ctx, &e, &written) != UVS_OK)
        fprintf(stderr, "univend: periodic export not written: %s\n", ctx->err.message);
    else if (written)
        fprintf(stderr, "univend: export %s written\n", e.name);
}

static int cmd_sell(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    struct rec_receipt r;
    if (parse_args(argc, argv, " meter amount card wait batch ", &a) || a.npos)
        return usage("sell --meter N --amount A | sell --card A [--wait S] | sell --batch FILE|-");
    if (opt(&a, "batch")) {
        if (opt(&a, "meter") || opt(&a, "amount") || opt(&a, "card") || opt(&a, "wait"))
            return usage("sell --batch FILE|- takes its meters and amounts from the file");
        const char *path = opt(&a, "batch");
        FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
        if (in == NULL)
            return fail(ctx, uv_fail(&ctx->err, UVS_IO, "cannot read %s: %s", path,
                                     strerror(errno)));
        int rc = cli_sell_batch(ctx, in, stdout);
        if (in != stdin)
            fclose(in);
        return rc;
    }
    if (opt(&a, "card")) {
        if (opt(&a, "meter") || opt(&a, "amount"))
            return usage("sell --card A takes the meter from the card: no --meter, no --amount");
        int sold = 0, rc = cli_sell_card(ctx, opt(&a, "card"), opt(&a, "wait"), &r, &sold);
        if (sold)
            after_sale(ctx, &r);
        return rc;
    }
    if (!opt(&a, "meter") || !opt(&a, "amount") || opt(&a, "wait"))
        return usage("sell --meter N --amount A");
    uv_status st = vend_sell(ctx, opt(&a, "meter"), opt(&a, "amount"), &r);
    if (st != UVS_OK)
        return fail(ctx, st);
    char tok[96];
    for (unsigned i = 0; i < r.n_tokens; i++) {
        token_group(r.tokens[i], tok, sizeof tok);
        printf("TOKEN %s\n", tok);
    }
    after_sale(ctx, &r);
    return 0;
}

static int cmd_export(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (parse_args(argc, argv, " dir rewrite ", &a))
        return usage("export [--dir D] | export --rewrite FIRST[-LAST] | export list | export pubkey");
    if (a.npos == 1 && strcmp(a.pos[0], "list") == 0)
        return fail(ctx, export_list(ctx, stdout));
    if (a.npos == 1 && strcmp(a.pos[0], "pubkey") == 0) {
        uint8_t pub[32];
        char hex[65];
        uv_status st = export_public_key(ctx, pub);
        if (st == UVS_OK) {
            digest_hex(pub, 32, hex);
            printf("%s %s\n", ctx->cfg.kiosk_id, hex);
        }
        return fail(ctx, st);
    }
    if (a.npos)
        return usage("export [--dir D] | export --rewrite FIRST[-LAST] | export list | export pubkey");
    if (opt(&a, "rewrite")) {
        uint64_t first, last;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%s", opt(&a, "rewrite"));
        char *dash = strchr(tmp, '-');
        if (dash)
            *dash = '\0';
        if (parse_u64(tmp, &first) || (dash ? parse_u64(dash + 1, &last) : (last = first, 0)))
            return usage("--rewrite FIRST[-LAST]");
        return fail(ctx, export_rewrite(ctx, first, last, opt(&a, "dir"), stdout));
    }
    struct rec_export e;
    uv_status st = export_run(ctx, opt(&a, "dir"), &e);
    if (st == UVS_OK)
        printf("wrote %s: sequence %llu, receipts %llu-%llu, audit %llu-%llu, closings %llu-%llu\n",
               e.name, (unsigned long long)e.sequence, (unsigned long long)e.receipt_first,
               (unsigned long long)e.receipt_last, (unsigned long long)e.audit_first,
               (unsigned long long)e.audit_last, (unsigned long long)e.closing_first,
               (unsigned long long)e.closing_last);
    return fail(ctx, st);
}

static int cmd_import(struct uv_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return usage("import FILE|DIR...");
    struct hq_import_stats s;
    uv_status st = hq_import(ctx, argv, (size_t)argc, stdout, isatty(2) ? stderr : NULL, &s);
    printf("%u files: %u imported, %u already imported, %u refused; %llu receipts in %.2f s\n",
           s.files, s.imported, s.already, s.refused, (unsigned long long)s.receipts, s.seconds);
    uint64_t nm = 0;
    if (hq_missing(ctx, stdout, &nm) == UVS_OK && nm)
        printf("%llu file(s) missing (gaps above): later files were accepted\n",
               (unsigned long long)nm);
    return fail(ctx, st);
}

static int cmd_hq(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc >= 1 && strcmp(argv[0], "instruct") == 0)
        return cli_hq_instruct(ctx, argc - 1, argv + 1);
    if (argc < 1 || parse_args(argc - 1, argv + 1, " pubkey out ", &a))
        return usage("hq kiosk add ID --pubkey HEX | kiosk list | report | missing | export-csv |\n"
                     "       keygen | pubkey");
    if (strcmp(argv[0], "kiosk") == 0 && a.npos == 2 && strcmp(a.pos[0], "add") == 0)
        return fail(ctx, hq_kiosk_add(ctx, a.pos[1], opt(&a, "pubkey")));
    if (strcmp(argv[0], "kiosk") == 0 && a.npos == 3 && strcmp(a.pos[0], "group") == 0) {
        uv_status st = hq_kiosk_group(ctx, a.pos[1], a.pos[2]);
        if (st == UVS_OK)
            printf("kiosk %s is in group %s\n", a.pos[1], a.pos[2]);
        return fail(ctx, st);
    }
    if (strcmp(argv[0], "kiosk") == 0 && a.npos == 1 && strcmp(a.pos[0], "list") == 0)
        return fail(ctx, hq_kiosk_list(ctx, stdout));
    if ((strcmp(argv[0], "keygen") == 0 || strcmp(argv[0], "pubkey") == 0) && argc == 1)
        return cli_hq_key(ctx, argc, argv);
    if (strcmp(argv[0], "report") == 0 && a.npos == 0)
        return fail(ctx, hq_report(ctx, stdout));
    if (strcmp(argv[0], "missing") == 0 && a.npos == 0) {
        uint64_t nm;
        uv_status st = hq_missing(ctx, stdout, &nm);
        if (st == UVS_OK && nm == 0)
            printf("no files missing\n");
        return fail(ctx, st);
    }
    if (strcmp(argv[0], "export-csv") == 0 && a.npos == 0) {
        FILE *out = stdout;
        if (opt(&a, "out") && (out = fopen(opt(&a, "out"), "w")) == NULL)
            return fail(ctx, uv_fail(&ctx->err, UVS_IO, "cannot write %s: %s", opt(&a, "out"),
                                     strerror(errno)));
        uv_status st = hq_export_csv(ctx, out);
        if (out != stdout && fclose(out) != 0 && st == UVS_OK)
            st = uv_fail(&ctx->err, UVS_IO, "cannot write %s", opt(&a, "out"));
        return fail(ctx, st);
    }
    return usage("hq kiosk add ID --pubkey HEX | kiosk list | report | missing | export-csv |\n"
                 "       keygen | pubkey");
}


static int cmd_receipt(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 || parse_args(argc - 1, argv + 1, " meter clerk limit ", &a))
        return usage("receipt show N | reprint N | list [--meter N] [--clerk ID] [--limit K]");
    if ((strcmp(argv[0], "show") == 0 || strcmp(argv[0], "reprint") == 0) && a.npos == 1) {
        uint64_t n;
        struct rec_receipt r;
        if (parse_u64(a.pos[0], &n))
            return usage("receipt show|reprint N: N is a receipt number");
        int reprint = argv[0][0] == 'r';
        uv_status st = reprint ? receipt_reprint(ctx, n, &r) : receipt_get(ctx, n, &r);
        if (st == UVS_OK) {
            receipt_print(ctx, &r, stdout);
            if (reprint)
                st = print_receipt(ctx, &r);
        }
        return fail(ctx, st);
    }
    if (strcmp(argv[0], "list") == 0 && a.npos == 0) {
        uint32_t limit = 0;
        if (opt(&a, "limit") && parse_u32(opt(&a, "limit"), &limit))
            return usage("--limit needs a number");
        if (opt(&a, "clerk")) {
            struct receipt_filter f = {opt(&a, "meter"), opt(&a, "clerk"), 0, 0};
            size_t cap = limit ? limit : 1000, n = 0;
            struct rec_receipt *rs = calloc(cap, sizeof *rs);
            if (!rs)
                return fail(ctx, uv_fail(&ctx->err, UVS_NOMEM, "out of memory"));
            uv_status st = receipt_find(ctx, &f, rs, cap, &n);
            for (size_t i = 0; st == UVS_OK && i < n; i++)
                printf("%8llu %-14s %-10s %12lld %s\n", (unsigned long long)rs[i].number,
                       rs[i].meter, rs[i].clerk, (long long)rs[i].gross, rs[i].tokens[0]);
            free(rs);
            return fail(ctx, st);
        }
        return fail(ctx, receipt_list(ctx, opt(&a, "meter"), limit, stdout));
    }
    return usage("receipt show N | reprint N | list [--meter N] [--clerk ID] [--limit K]");
}

static int cmd_token(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 || strcmp(argv[0], "decode") != 0 ||
        parse_args(argc - 1, argv + 1, " meter ", &a) || a.npos < 1 || !opt(&a, "meter"))
        return usage("token decode TOKEN --meter N");
    /* a token may be typed in groups: "1234 5678 ..." as one or several words */
    char token[128] = "";
    for (int i = 0; i < a.npos; i++) {
        if (strlen(token) + strlen(a.pos[i]) + 1 >= sizeof token)
            return usage("token is too long");
        strcat(token, a.pos[i]);
    }
    struct uv_token_info ti;
    uv_status st = token_decode(ctx, opt(&a, "meter"), token, &ti);
    if (st == UVS_OK)
        printf("%s\n", ti.description);
    return fail(ctx, st);
}

static int cmd_audit(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 || parse_args(argc - 1, argv + 1, " limit ", &a) || a.npos)
        return usage("audit list [--limit K] | verify");
    if (strcmp(argv[0], "list") == 0) {
        uint32_t limit = 0;
        if (opt(&a, "limit") && parse_u32(opt(&a, "limit"), &limit))
            return usage("--limit needs a number");
        return fail(ctx, audit_print(ctx, stdout, limit));
    }
    if (strcmp(argv[0], "verify") == 0) {
        uint64_t n = 0;
        uv_status st = audit_verify(ctx, &n);
        if (st == UVS_OK)
            printf("audit chain intact: %llu records\n", (unsigned long long)n);
        return fail(ctx, st);
    }
    return usage("audit list [--limit K] | verify");
}

static int cmd_clerk(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    if (argc < 1 || parse_args(argc - 1, argv + 1, " name role ", &a))
        return usage("clerk add ID --name NAME --role clerk|supervisor | list | pin ID | "
                     "disable ID | enable ID");
    const char *act = argv[0];
    if (strcmp(act, "list") == 0 && a.npos == 0)
        return fail(ctx, clerk_list(ctx, stdout));
    if (a.npos != 1)
        return usage("clerk add ID --name NAME --role clerk|supervisor | list | pin ID");
    if (strcmp(act, "disable") == 0 || strcmp(act, "enable") == 0)
        return fail(ctx, clerk_set_disabled(ctx, a.pos[0], act[0] == 'd'));
    if (strcmp(act, "add") != 0 && strcmp(act, "pin") != 0)
        return usage("clerk add | list | pin | disable | enable");
    uint32_t role = 0;
    if (act[0] == 'a' && (!opt(&a, "name") || !(role = clerk_role_parse(opt(&a, "role")))))
        return usage("clerk add ID --name NAME --role clerk|supervisor");
    char pin[32];
    uv_status st = services_ask_secret(ctx, "UNIVEND_PIN", "New PIN: ", pin, sizeof pin);
    if (st == UVS_OK)
        st = act[0] == 'a' ? clerk_add(ctx, a.pos[0], opt(&a, "name"), role, pin)
                           : clerk_set_pin(ctx, a.pos[0], pin);
    explicit_bzero(pin, sizeof pin);
    if (st == UVS_OK)
        printf("clerk %s %s\n", a.pos[0], act[0] == 'a' ? "added" : "PIN set");
    return fail(ctx, st);
}

static int cmd_report(struct uv_ctx *ctx, int argc, char **argv)
{
    struct args a;
    int close_it = 0;
    /* --close is a flag: take it out before parsing name/value options */
    char *rest[MAX_POS + 2 * MAX_OPT];
    int nrest = 0;
    for (int i = 1; i < argc && nrest < (int)(sizeof rest / sizeof rest[0]); i++) {
        if (strcmp(argv[i], "--close") == 0)
            close_it = 1;
        else
            rest[nrest++] = argv[i];
    }
    if (argc < 1 || parse_args(nrest, rest, " clerk ", &a) || a.npos)
        return usage("report shift [--clerk ID] [--close] | day [--close]");
    struct uv_report r;
    uv_status st;
    if (strcmp(argv[0], "shift") == 0)
        st = report_shift(ctx, opt(&a, "clerk") ? opt(&a, "clerk") : ctx->actor, &r);
    else if (strcmp(argv[0], "day") == 0)
        st = report_day(ctx, &r);
    else
        return usage("report shift [--clerk ID] [--close] | day [--close]");
    if (st != UVS_OK)
        return fail(ctx, st);
    report_print(ctx, &r, stdout);
    if (close_it) {
        uint64_t no;
        if ((st = report_close(ctx, &r, &no)) == UVS_OK)
            printf("closed: closing %llu\n", (unsigned long long)no);
    }
    return fail(ctx, st);
}

static const char *default_actor(void)
{
    const char *c = getenv("UNIVEND_CLERK");
    if (c && *c)
        return c;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "unknown";
}

int cli_main(int argc, char **argv)
{
    const char *home = getenv("UNIVEND_HOME");
    const char *actor = NULL;
    int verbose = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
            home = argv[++i];
        else if (strcmp(argv[i], "--clerk") == 0 && i + 1 < argc)
            actor = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return fputs(usage_text, stdout), 0;
        else
            return usage("unknown global option");
    }
    if (i >= argc)
        return usage(NULL);
    const char *cmd = argv[i++];
    if (strcmp(cmd, "help") == 0)
        return fputs(usage_text, stdout), 0;
    if (actor && !md_id_valid(actor))
        return usage("--clerk: 1-31 of A-Z a-z 0-9 . _ -");

    static struct uv_ctx ctx; /* large; one per process */
    uv_ctx_init(&ctx, home ? home : "/var/lib/univend", actor ? actor : default_actor());
    ctx.verbose = verbose;
    int rc;
    if (strcmp(cmd, "init") == 0) {
        rc = cmd_init(&ctx, argc - i, argv + i);
    } else if (strcmp(cmd, "demo") == 0) {
        rc = fail(&ctx, demo_run(&ctx, stdout));
    } else {
        uv_status st = uv_ctx_open(&ctx);
        /* a full disk stops the database from opening (recovery writes):
           say what that means for a sale or an export */
        if (st != UVS_OK && store_disk_full(&ctx.store) && strcmp(cmd, "sell") == 0)
            st = uv_fail(&ctx.err, UVS_STORE, VEND_DISK_FULL);
        else if (st != UVS_OK && store_disk_full(&ctx.store) && strcmp(cmd, "export") == 0)
            st = uv_fail(&ctx.err, UVS_STORE, EXPORT_DISK_FULL);
        if (st != UVS_OK) {
            rc = fail(&ctx, st);
        } else if (strcmp(cmd, "driver") == 0) {
            rc = cmd_driver(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "key") == 0) {
            rc = cmd_key(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "customer") == 0) {
            rc = cmd_customer(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "tariff") == 0) {
            rc = cmd_tariff(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "meter") == 0) {
            rc = cmd_meter(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "sell") == 0) {
            rc = cmd_sell(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "receipt") == 0) {
            rc = cmd_receipt(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "token") == 0) {
            rc = cmd_token(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "credit") == 0) {
            rc = cli_credit(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "clock") == 0) {
            rc = cli_clock(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "card") == 0) {
            rc = cli_card(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "engineering") == 0) {
            rc = cli_engineering(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "export") == 0) {
            rc = cmd_export(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "import") == 0) {
            rc = cmd_import(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "hq") == 0) {
            rc = cmd_hq(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "instruction") == 0) {
            rc = cli_instruction(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "blacklist") == 0) {
            rc = cli_blacklist(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "trust") == 0) {
            rc = cli_trust(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "clerk") == 0) {
            rc = cmd_clerk(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "report") == 0) {
            rc = cmd_report(&ctx, argc - i, argv + i);
        } else if (strcmp(cmd, "store") == 0) {
            if (argc - i == 1 && strcmp(argv[i], "verify") == 0) {
                rc = fail(&ctx, store_verify(&ctx, stdout));
            } else if (argc - i == 2 && strcmp(argv[i], "backup") == 0) {
                uv_status bst = clerk_require_supervisor(&ctx, "back up the store");
                if (bst == UVS_OK)
                    bst = audit_append(&ctx, NULL, "store.backup", ctx.cfg.kiosk_id, "to %s",
                                       argv[i + 1]);
                if (bst == UVS_OK)
                    bst = store_backup(&ctx.store, argv[i + 1], &ctx.err);
                if (bst == UVS_OK)
                    printf("backup written to %s (open it with --home on a copy of the kiosk "
                           "directory, db/ replaced)\n",
                           argv[i + 1]);
                rc = fail(&ctx, bst);
            } else {
                rc = usage("store verify | store backup DIR");
            }
        } else if (strcmp(cmd, "audit") == 0) {
            rc = cmd_audit(&ctx, argc - i, argv + i);
        } else {
            rc = usage("unknown command");
        }
    }
    uv_ctx_close(&ctx);
    return rc;
}
