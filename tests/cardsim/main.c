/*
 * main.c — cardsim, the card simulator of the card tests: one emulated card
 * on one slot of vsmartcard's virtual reader (see vpcd.h and card.h).
 *
 *   cardsim run --port N --card TYPE:IMAGE [--pull-before K | --pull-after K] [--log FILE]
 *       insert the card: connect to the virtual reader slot listening on N
 *       and answer it until pcscd goes away or the process is stopped
 *       (stopping it = pulling the card out). Every APDU is logged with its
 *       number (from 1). --pull-before K: drop the connection when the K-th
 *       APDU arrives, without executing it; --pull-after K: execute it, then
 *       drop before answering.
 *   cardsim new TYPE IMAGE name=value...     personalise a new card image
 *   cardsim meter TYPE IMAGE name=value...   play the meter's side on a card
 *   cardsim help                             the card types and their options
 *
 * The card types are the files card_<type>.c; a type whose file is not in
 * this build is simply not offered (weak references).
 */
#include <errno.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "vpcd.h"

#pragma weak sim_card_memory
#pragma weak sim_card_logic
#pragma weak sim_card_cpu
#pragma weak sim_card_rf
#pragma weak sim_card_sam

static const struct sim_card_ops *type_list(size_t i)
{
    const struct sim_card_ops *const all[] = {&sim_card_memory, &sim_card_logic, &sim_card_cpu,
                                              &sim_card_rf, &sim_card_sam};
    return i < sizeof all / sizeof all[0] ? all[i] : (const struct sim_card_ops *)-1;
}

static const struct sim_card_ops *find_type(const char *name, size_t len)
{
    const struct sim_card_ops *t;
    for (size_t i = 0; (t = type_list(i)) != (const struct sim_card_ops *)-1; i++)
        if (t && strlen(t->type) == len && strncmp(t->type, name, len) == 0)
            return t;
    fprintf(stderr, "cardsim: no card type '%.*s' (cardsim help lists them)\n", (int)len, name);
    return NULL;
}

static int help(FILE *out)
{
    fprintf(out,
            "usage: cardsim run --port N --card TYPE:IMAGE [--pull-before K | --pull-after K]\n"
            "                   [--log FILE]\n"
            "       cardsim new TYPE IMAGE name=value...\n"
            "       cardsim meter TYPE IMAGE name=value...\n"
            "card types:\n");
    const struct sim_card_ops *t;
    for (size_t i = 0; (t = type_list(i)) != (const struct sim_card_ops *)-1; i++)
        if (t)
            fprintf(out, "  %s%s\n%s", t->type, t->meter ? " (meter side too)" : "",
                    t->help ? t->help : "");
    return 0;
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02X", p[i]);
}

static int parse_count(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v == 0)
        return -1;
    *out = v;
    return 0;
}

/* Power on or reset: the type's volatile state starts again. */
static int reset(struct sim_card *c)
{
    c->ops->release(c);
    c->state = NULL;
    return c->ops->reset(c);
}

static int run(int argc, char **argv)
{
    unsigned long port = 0, pull_before = 0, pull_after = 0;
    const char *card = NULL, *log_path = NULL;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = v == NULL;
        if (!bad && strcmp(o, "--port") == 0)
            bad = parse_count(v, &port) != 0 || port > 65535;
        else if (!bad && strcmp(o, "--card") == 0)
            card = v;
        else if (!bad && strcmp(o, "--pull-before") == 0)
            bad = parse_count(v, &pull_before) != 0;
        else if (!bad && strcmp(o, "--pull-after") == 0)
            bad = parse_count(v, &pull_after) != 0;
        else if (!bad && strcmp(o, "--log") == 0)
            log_path = v;
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "cardsim run: bad option %s\n", o);
            return 2;
        }
        i++;
    }
    const char *colon = card ? strchr(card, ':') : NULL;
    if (port == 0 || colon == NULL || (pull_before && pull_after)) {
        fprintf(stderr, "cardsim run: need --port N --card TYPE:IMAGE, and at most one pull\n");
        return 2;
    }
    struct sim_card *c = calloc(1, sizeof *c);
    if (c == NULL)
        return 1;
    c->ops = find_type(card, (size_t)(colon - card));
    if (c->ops == NULL || image_load(&c->img, colon + 1, 0) != 0) {
        if (c->ops)
            fprintf(stderr, "cardsim: cannot read card image %s\n", colon + 1);
        free(c);
        return 1;
    }
    FILE *log = log_path ? fopen(log_path, "a") : stderr;
    if (log == NULL) {
        fprintf(stderr, "cardsim: cannot open %s\n", log_path);
        free(c);
        return 1;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    int fd = vpcd_connect((unsigned)port, 5000);
    if (fd < 0) {
        fprintf(stderr, "cardsim: no virtual reader on port %lu\n", port);
        if (log != stderr)
            fclose(log);
        free(c);
        return 1;
    }
    fprintf(log, "inserted %s card %s on port %lu\n", c->ops->type, colon + 1, port);
    int rc = reset(c);
    uint8_t msg[VPCD_MSG_MAX], resp[SIM_RESP_MAX];
    unsigned long n = 0;
    long len;
    while (rc == 0 && (len = vpcd_recv(fd, msg, sizeof msg)) >= 0) {
        if (len == 1) {
            if (msg[0] == VPCD_GET_ATR) {
                uint8_t atr[SIM_ATR_MAX];
                size_t an = c->ops->atr(c, atr);
                if (vpcd_send(fd, atr, an) != 0)
                    break;
            } else if (msg[0] == VPCD_POWER_ON || msg[0] == VPCD_RESET) {
                rc = reset(c);
            } else if (msg[0] == VPCD_POWER_OFF) {
                c->ops->release(c);
                c->state = NULL;
            }
            continue;
        }
        n++;
        fprintf(log, "%lu > ", n);
        hex(log, msg, (size_t)len);
        fputc('\n', log);
        if (n == pull_before) {
            fprintf(log, "%lu pulled before it ran\n", n);
            break;
        }
        size_t rn = c->ops->apdu(c, msg, (size_t)len, resp);
        if (n == pull_after) {
            fprintf(log, "%lu pulled after it ran, before the answer\n", n);
            break;
        }
        fprintf(log, "%lu < ", n);
        hex(log, resp, rn);
        fputc('\n', log);
        if (vpcd_send(fd, resp, rn) != 0)
            break;
    }
    close(fd);
    fprintf(log, "removed\n");
    c->ops->release(c);
    if (log != stderr)
        fclose(log);
    free(c);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    gcry_check_version(NULL);
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)
        return help(argc < 2 ? stderr : stdout) == 0 && argc >= 2 ? 0 : 2;
    if (strcmp(argv[1], "run") == 0)
        return run(argc - 2, argv + 2);
    if ((strcmp(argv[1], "new") == 0 || strcmp(argv[1], "meter") == 0) && argc >= 4) {
        const struct sim_card_ops *t = find_type(argv[2], strlen(argv[2]));
        if (t == NULL)
            return 2;
        if (argv[1][0] == 'n')
            return t->personalise(argv[3], argc - 4, argv + 4, stderr);
        if (t->meter == NULL) {
            fprintf(stderr, "cardsim: card type %s has no meter side\n", t->type);
            return 2;
        }
        return t->meter(argv[3], argc - 4, argv + 4, stdout);
    }
    help(stderr);
    return 2;
}
