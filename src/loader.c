/* loader.c — driver files: resolve, check, load, validate, probe. */
#include "loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"

#define KNOWN_MEDIA (UV_MEDIUM_MEMORY_CARD | UV_MEDIUM_LOGIC_CARD | UV_MEDIUM_CPU_CARD | \
                     UV_MEDIUM_RF_CARD | UV_MEDIUM_VIRTUAL)

int loader_type_code_valid(const char *code)
{
    size_t n = 0;
    if (code == NULL)
        return 0;
    for (; code[n]; n++) {
        char c = code[n];
        if (n >= UV_TYPE_CODE_MAX)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return n > 0;
}

const char *loader_media_text(uint32_t media, char *buf, size_t cap)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {UV_MEDIUM_MEMORY_CARD, "memory-card"}, {UV_MEDIUM_LOGIC_CARD, "logic-card"},
        {UV_MEDIUM_CPU_CARD, "cpu-card"},       {UV_MEDIUM_RF_CARD, "rf-card"},
        {UV_MEDIUM_VIRTUAL, "token"},
    };
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (media & names[i].bit) {
            int w = snprintf(buf + pos, cap - pos, "%s%s", pos ? "," : "", names[i].name);
            if (w < 0 || (size_t)w >= cap - pos)
                break;
            pos += (size_t)w;
        }
    }
    return buf;
}

/* Copy a descriptor string: present, printable, and shorter than the slot. */
static uv_status validate_atr_patterns(const struct uv_driver *d, struct uv_driver_info *info,
                                       struct uv_error *err);

static int copy_text(const char *src, char *dst, size_t cap, int required)
{
    if (src == NULL) {
        dst[0] = '\0';
        return !required;
    }
    size_t n = strnlen(src, cap);
    if (n == cap || (required && n == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
            return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

uv_status loader_validate(const struct uv_driver *d, struct uv_driver_info *info,
                          struct uv_error *err)
{
    memset(info, 0, sizeof *info);
    if (d == NULL)
        return uv_fail(err, UVS_DRIVER, "the entry symbol returned no descriptor "
                                        "(the driver declined this host's ABI %u.%u)",
                       UV_ABI_MAJOR, UV_ABI_MINOR);
    if (d->magic != UV_DRIVER_MAGIC)
        return uv_fail(err, UVS_DRIVER, "not a univend driver (descriptor magic is wrong)");
    if (d->abi_major != UV_ABI_MAJOR)
        return uv_fail(err, UVS_DRIVER,
                       "wrong ABI version: driver is %u.%u, this univend speaks %u.x",
                       d->abi_major, d->abi_minor, UV_ABI_MAJOR);
    if (d->struct_size < UV_DRIVER_MIN_SIZE)
        return uv_fail(err, UVS_DRIVER, "descriptor is too small (%u bytes, need %zu)",
                       d->struct_size, (size_t)UV_DRIVER_MIN_SIZE);
    info->abi_major = d->abi_major;
    info->abi_minor = d->abi_minor;
    if (!copy_text(d->name, info->name, sizeof info->name, 1))
        return uv_fail(err, UVS_DRIVER, "descriptor: name missing, too long or not printable");
    if (!copy_text(d->vendor, info->vendor, sizeof info->vendor, 1))
        return uv_fail(err, UVS_DRIVER, "descriptor: vendor missing, too long or not printable");
    if (!copy_text(d->version, info->version, sizeof info->version, 1))
        return uv_fail(err, UVS_DRIVER, "descriptor: version missing, too long or not printable");
    if (!copy_text(d->description, info->description, sizeof info->description, 0))
        return uv_fail(err, UVS_DRIVER, "descriptor: description too long or not printable");
    if (d->media == 0 || (d->media & ~KNOWN_MEDIA) != 0)
        return uv_fail(err, UVS_DRIVER, "descriptor: media mask 0x%x is empty or unknown",
                       d->media);
    info->media = d->media;
    if (d->type_codes == NULL || d->type_codes[0] == NULL)
        return uv_fail(err, UVS_DRIVER, "descriptor: the driver claims no meter type codes");
    for (unsigned i = 0; d->type_codes[i] != NULL; i++) {
        if (i >= UV_TYPE_CODES_MAX)
            return uv_fail(err, UVS_DRIVER, "descriptor: more than %d type codes",
                           UV_TYPE_CODES_MAX);
        if (!loader_type_code_valid(d->type_codes[i]))
            return uv_fail(err, UVS_DRIVER,
                           "descriptor: type code #%u is invalid (1-%d of A-Z 0-9 . _ -)", i + 1,
                           UV_TYPE_CODE_MAX);
        for (unsigned j = 0; j < i; j++)
            if (strcmp(info->codes[j], d->type_codes[i]) == 0)
                return uv_fail(err, UVS_DRIVER, "descriptor: type code %s is listed twice",
                               d->type_codes[i]);
        strcpy(info->codes[i], d->type_codes[i]);
        info->n_codes = i + 1;
    }
    static const struct { size_t off; const char *name; } required[] = {
        {offsetof(struct uv_driver, open), "open"},
        {offsetof(struct uv_driver, close), "close"},
        {offsetof(struct uv_driver, verify), "verify"},
        {offsetof(struct uv_driver, issue_credit), "issue_credit"},
        {offsetof(struct uv_driver, strerror), "strerror"},
        {offsetof(struct uv_driver, last_error), "last_error"},
        {offsetof(struct uv_driver, self_test), "self_test"},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        void *fn;
        memcpy(&fn, (const char *)d + required[i].off, sizeof fn);
        if (fn == NULL)
            return uv_fail(err, UVS_DRIVER, "descriptor: required function %s is missing",
                           required[i].name);
    }
    if ((d->media & UV_MEDIUM_VIRTUAL) && d->decode_token == NULL)
        return uv_fail(err, UVS_DRIVER,
                       "descriptor: a token driver must offer decode_token (every token is "
                       "checked before it is shown)");
    info->has_read_medium = d->read_medium != NULL;
    info->has_mgmt = d->issue_mgmt != NULL;
    info->has_decode = d->decode_token != NULL;
    return validate_atr_patterns(d, info, err);
}

/* Hex text of 1..UV_ATR_MAX bytes, read without trusting a terminator. */
static int atr_hex(const char *hex, uint8_t *out, uint8_t *len)
{
    size_t n = strnlen(hex, 2 * UV_ATR_MAX + 1);
    if (n == 0 || n > 2 * UV_ATR_MAX || n % 2 != 0 || digest_unhex(hex, out, n / 2) != 0)
        return -1;
    *len = (uint8_t)(n / 2);
    return 0;
}

static uv_status validate_atr_patterns(const struct uv_driver *d, struct uv_driver_info *info,
                                       struct uv_error *err)
{
    if (d->abi_minor < 2 || d->struct_size < offsetof(struct uv_driver, atr_patterns) +
                                                 sizeof d->atr_patterns ||
        d->atr_patterns == NULL)
        return UVS_OK;
    if (!info->has_read_medium)
        return uv_fail(err, UVS_DRIVER,
                       "descriptor: ATR patterns without read_medium (the host could not ask "
                       "the card for its type code)");
    for (unsigned i = 0; d->atr_patterns[i].atr != NULL; i++) {
        struct uv_atr_info *a = &info->atr[i];
        uint8_t mlen = 0;
        if (i >= UV_ATR_PATTERNS_MAX)
            return uv_fail(err, UVS_DRIVER, "descriptor: more than %d ATR patterns",
                           UV_ATR_PATTERNS_MAX);
        if (atr_hex(d->atr_patterns[i].atr, a->atr, &a->len) != 0)
            return uv_fail(err, UVS_DRIVER,
                           "descriptor: ATR pattern #%u is not 1-%d bytes of hex", i + 1,
                           UV_ATR_MAX);
        if (d->atr_patterns[i].mask == NULL)
            memset(a->mask, 0xFF, a->len);
        else if (atr_hex(d->atr_patterns[i].mask, a->mask, &mlen) != 0 || mlen != a->len)
            return uv_fail(err, UVS_DRIVER,
                           "descriptor: the mask of ATR pattern #%u is not hex of the ATR's length",
                           i + 1);
        info->n_atr = i + 1;
    }
    return UVS_OK;
}

int loader_atr_match(const struct uv_atr_info *p, const uint8_t *atr, size_t len)
{
    if (len != p->len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((atr[i] & p->mask[i]) != (p->atr[i] & p->mask[i]))
            return 0;
    return 1;
}

unsigned loader_atr_specificity(const struct uv_atr_info *p)
{
    unsigned bits = 0;
    for (size_t i = 0; i < p->len; i++)
        bits += (unsigned)__builtin_popcount(p->mask[i]);
    return bits;
}

void loader_atr_hex(const uint8_t *atr, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02X", atr[i]);
    out[2 * n] = '\0';
}

void loader_atr_text(const struct uv_atr_info *p, unsigned n, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        char a[2 * UV_ATR_MAX + 1], m[2 * UV_ATR_MAX + 1];
        int full = 1;
        loader_atr_hex(p[i].atr, p[i].len, a);
        loader_atr_hex(p[i].mask, p[i].len, m);
        for (unsigned j = 0; j < p[i].len; j++)
            full &= p[i].mask[j] == 0xFF;
        int w = snprintf(out + pos, cap - pos, "%s%s%s%s", i ? " " : "", a, full ? "" : "/",
                         full ? "" : m);
        if (w < 0 || (size_t)w >= cap - pos) {
            out[pos] = '\0'; /* never half a pattern */
            return;
        }
        pos += (size_t)w;
    }
}

int loader_atr_parse(const char *text, struct uv_atr_info *out, unsigned max, unsigned *n)
{
    *n = 0;
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " ");
        char one[4 * UV_ATR_MAX + 2];
        if (*n >= max || len >= sizeof one)
            return -1;
        memcpy(one, p, len);
        one[len] = '\0';
        struct uv_atr_info *a = &out[*n];
        memset(a, 0, sizeof *a);
        char *slash = strchr(one, '/');
        uint8_t mlen = 0;
        if (slash)
            *slash = '\0';
        if (atr_hex(one, a->atr, &a->len) != 0 ||
            (slash && (atr_hex(slash + 1, a->mask, &mlen) != 0 || mlen != a->len)))
            return -1;
        if (!slash)
            memset(a->mask, 0xFF, a->len);
        (*n)++;
        p += len;
    }
    return 0;
}

uv_status loader_resolve(const char *driver_dir, const char *arg, char *path, size_t path_cap,
                         char *file, size_t file_cap, struct uv_error *err)
{
    char dir_real[PATH_MAX], cand[PATH_MAX], real[PATH_MAX];
    if (arg == NULL || *arg == '\0')
        return uv_fail(err, UVS_USAGE, "no driver file given");
    if (realpath(driver_dir, dir_real) == NULL)
        return uv_fail(err, UVS_IO, "driver directory %s: %s", driver_dir, strerror(errno));
    if (strchr(arg, '/') == NULL) {
        if (snprintf(cand, sizeof cand, "%s/%s", dir_real, arg) >= (int)sizeof cand)
            return uv_fail(err, UVS_INPUT, "driver path is too long");
    } else if (snprintf(cand, sizeof cand, "%s", arg) >= (int)sizeof cand) {
        return uv_fail(err, UVS_INPUT, "driver path is too long");
    }
    if (realpath(cand, real) == NULL)
        return uv_fail(err, UVS_NOTFOUND, "driver file %s: %s", arg, strerror(errno));
    size_t dl = strlen(dir_real);
    const char *base = strrchr(real, '/') + 1;
    if (strncmp(real, dir_real, dl) != 0 || real[dl] != '/' || strchr(real + dl + 1, '/'))
        return uv_fail(err, UVS_REFUSED,
                       "driver %s is not in the driver directory %s; drivers are only loaded "
                       "from there",
                       arg, dir_real);
    if (strlen(base) >= file_cap || strlen(real) >= path_cap)
        return uv_fail(err, UVS_INPUT, "driver file name is too long");
    strcpy(file, base);
    strcpy(path, real);
    return UVS_OK;
}

/* An ELF shared object for the machine we run on, and whole enough that its
   program headers lie inside the file. */
static uv_status check_elf(int fd, const char *file, struct uv_error *err)
{
    Elf64_Ehdr eh;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return uv_fail(err, UVS_DRIVER, "%s is not a regular file", file);
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return uv_fail(err, UVS_DRIVER, "%s is not a driver: not an ELF shared object", file);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_DYN)
        return uv_fail(err, UVS_DRIVER, "%s is not a driver: not a 64-bit shared object", file);
#if defined(__x86_64__)
    const unsigned machine = EM_X86_64;
#elif defined(__aarch64__)
    const unsigned machine = EM_AARCH64;
#else
    const unsigned machine = eh.e_machine;
#endif
    if (eh.e_machine != machine)
        return uv_fail(err, UVS_DRIVER, "%s is built for another processor (ELF machine %u)",
                       file, eh.e_machine);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
        (uint64_t)eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > (uint64_t)st.st_size)
        return uv_fail(err, UVS_DRIVER, "%s is truncated or damaged (program headers)", file);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
            return uv_fail(err, UVS_DRIVER, "%s is truncated", file);
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > (uint64_t)st.st_size)
            return uv_fail(err, UVS_DRIVER, "%s is truncated or damaged (segment %u)", file, i);
    }
    return UVS_OK;
}

uv_status loader_load(const char *path, const char *file, struct uv_loaded *out,
                      struct uv_error *err)
{
    return loader_load_expecting(path, file, NULL, out, err);
}

uv_status loader_load_expecting(const char *path, const char *file, const uint8_t *sha256,
                                struct uv_loaded *out, struct uv_error *err)
{
    char fdpath[64];
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (strlen(file) >= sizeof out->file)
        return uv_fail(err, UVS_INPUT, "driver file name is too long");
    strcpy(out->file, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(err, UVS_NOTFOUND, "driver file %s: %s", path, strerror(errno));
    uv_status st = check_elf(fd, file, err);
    if (st == UVS_OK)
        st = digest_sha256_fd(fd, out->sha256, err);
    if (st == UVS_OK && sha256 && memcmp(out->sha256, sha256, 32) != 0)
        st = uv_fail(err, UVS_REFUSED,
                     "driver file %s is not the one registered (its SHA-256 differs); refused "
                     "before any of it ran",
                     file);
    if (st != UVS_OK) {
        close(fd);
        return st;
    }
    /* dlopen the very file we hashed, through its descriptor. The loader
       knows the object by this name; keeping the descriptor open while the
       driver is loaded keeps the name unique (glibc would otherwise hand
       back an earlier driver loaded through the same descriptor number). */
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    out->dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
    if (out->dl == NULL) {
        const char *e = dlerror();
        close(fd);
        return uv_fail(err, UVS_DRIVER, "%s cannot be loaded: %s", file, e ? e : "unknown");
    }
    out->fd = fd;
    dlerror();
    void *sym = dlsym(out->dl, UV_DRIVER_ENTRY_NAME);
    if (sym == NULL) {
        loader_unload(out);
        return uv_fail(err, UVS_DRIVER, "%s is not a univend driver: missing symbol %s", file,
                       UV_DRIVER_ENTRY_NAME);
    }
    uv_driver_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    out->desc = entry(UV_ABI_MAJOR, UV_ABI_MINOR);
    st = loader_validate(out->desc, &out->info, err);
    if (st != UVS_OK) {
        char m[sizeof err->message];
        snprintf(m, sizeof m, "%s", err->message);
        loader_unload(out);
        return uv_fail(err, st, "%s: %s", file, m);
    }
    return UVS_OK;
}

void loader_unload(struct uv_loaded *l)
{
    if (l->dctx && l->desc)
        l->desc->close(l->dctx);
    l->dctx = NULL;
    l->desc = NULL; /* never used after dlclose */
    if (l->dl)
        dlclose(l->dl);
    l->dl = NULL;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fork a child to do something with a driver that may crash or hang. The
   child dies with its parent, writes its answer to *wfd, and keeps its
   stderr off the clerk's screen unless UNIVEND_DRIVER_DEBUG is set (makers
   debugging a driver want its dying words). The parent reads *rfd. Returns
   the pid: 0 in the child, -1 with errno set when no child could be made. */
/* A driver that calls exit() in the child ends the child at once: the
   exit handlers are the parent's (in a sanitizer build, the leak check of
   memory the child only inherited: the database cache is not the child's
   to free). */
static void child_exit_now(int status, void *arg)
{
    (void)arg;
    _exit(status);
}

static pid_t fork_driver_child(int *rfd, int *wfd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the kiosk */
        if (getppid() != parent)
            _exit(1); /* the parent died before the line above */
        on_exit(child_exit_now, NULL);
        if (getenv("UNIVEND_DRIVER_DEBUG") == NULL) {
            int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (devnull >= 0) {
                dup2(devnull, STDERR_FILENO);
                close(devnull);
            }
        }
        *wfd = p[1];
        return 0;
    }
    close(p[1]);
    *rfd = p[0];
    return pid;
}

/* Wait until fd can be read or the deadline (ms_now() time) passes:
   1 readable (or closed), 0 time is up. */
static int readable_before(int fd, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - ms_now();
        if (left <= 0)
            return 0;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int pr = poll(&pf, 1, (int)left);
        if (pr > 0 || (pr < 0 && errno != EINTR))
            return 1; /* a poll error shows as a failing read */
    }
}

uv_status loader_probe(const char *path, const char *file, const struct uv_host_services *svc,
                       void *host, int timeout_ms, struct uv_probe *out)
{
    int rfd = -1, wfd = -1;
    memset(out, 0, sizeof *out);
    pid_t pid = fork_driver_child(&rfd, &wfd);
    if (pid < 0) {
        snprintf(out->message, sizeof out->message, "cannot start a child to load the driver: %s",
                 strerror(errno));
        return out->status = UVS_IO;
    }
    if (pid == 0) {
        struct uv_probe r;
        struct uv_loaded l;
        struct uv_error e = {0};
        memset(&r, 0, sizeof r);
        r.status = loader_load(path, file, &l, &e);
        if (r.status == UVS_OK) {
            r.info = l.info;
            memcpy(r.sha256, l.sha256, 32);
            r.self_test_rc = l.desc->self_test(svc, host);
            if (r.self_test_rc != UV_OK) {
                r.status = UVS_DRIVER;
                snprintf(r.message, sizeof r.message, "%s: self test failed: %s", file,
                         l.desc->strerror(r.self_test_rc));
            }
        } else {
            snprintf(r.message, sizeof r.message, "%s", e.message);
        }
        ssize_t w = write(wfd, &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    size_t got = 0;
    int64_t deadline = ms_now() + timeout_ms;
    int timed_out = 0;
    while (got < sizeof *out) {
        if (!readable_before(rfd, deadline)) {
            timed_out = 1;
            break;
        }
        ssize_t r = read(rfd, (char *)out + got, sizeof *out - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(rfd);
    if (timed_out)
        kill(pid, SIGKILL);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    if (got == sizeof *out && WIFEXITED(wst) && WEXITSTATUS(wst) == 0) {
        out->message[sizeof out->message - 1] = '\0';
        return out->status;
    }
    memset(out, 0, sizeof *out);
    out->status = UVS_DRIVER;
    if (timed_out)
        snprintf(out->message, sizeof out->message,
                 "%s: driver hung while loading (no answer in %d ms); refused", file, timeout_ms);
    else if (WIFSIGNALED(wst))
        snprintf(out->message, sizeof out->message,
                 "%s: driver crashed while loading (%s); refused", file, strsignal(WTERMSIG(wst)));
    else
        snprintf(out->message, sizeof out->message,
                 "%s: driver crashed while loading (exit status %d); refused", file,
                 WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
    return out->status;
}

/* ---- conformance checks ------------------------------------------------ */

static void c_log(void *host, int level, const char *m)
{
    (void)host;
    (void)level;
    (void)m;
}
static int64_t c_now(void *host)
{
    (void)host;
    return (int64_t)time(NULL);
}
static int c_random(void *host, void *buf, size_t len)
{
    (void)host;
    memset(buf, 0x5A, len);
    return UV_OK;
}
static int c_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    (void)host;
    (void)ref;
    (void)buf;
    (void)cap;
    if (len)
        *len = 0;
    return UV_E_KEY_MISSING;
}
static void c_wipe(void *buf, size_t len)
{
    explicit_bzero(buf, len);
}

/* One line to the parent: "P name" passed, "F name: why" failed, "S name"
   started (so a crash can be named). */
static void c_line(int fd, char kind, const char *name, const char *why)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%c %s%s%s\n", kind, name, why ? ": " : "", why ? why : "");
    if (n > 0 && write(fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1)) < 0) {
    }
}

#define CHECK(name, cond, why)                                                                   \
    do {                                                                                         \
        c_line(fd, 'S', name, NULL);                                                             \
        c_line(fd, (cond) ? 'P' : 'F', name, (cond) ? NULL : why);                               \
    } while (0)

static void conformance_child(const char *path, const char *file, int fd)
{
    struct uv_loaded l;
    struct uv_error e = {0};
    /* no card readers in the conformance child: the card slots stay NULL */
    struct uv_host_services svc = {.struct_size = sizeof svc,
                                   .abi_major = UV_ABI_MAJOR,
                                   .abi_minor = UV_ABI_MINOR,
                                   .log = c_log,
                                   .now = c_now,
                                   .random = c_random,
                                   .key_get = c_key_get,
                                   .wipe = c_wipe};
    c_line(fd, 'S', "load", NULL);
    if (loader_load(path, file, &l, &e) != UVS_OK) {
        c_line(fd, 'F', "load", e.message);
        return;
    }
    c_line(fd, 'P', "load", NULL);
    const struct uv_driver *d = l.desc;
    c_line(fd, 'S', "self test", NULL);
    int rc = d->self_test(&svc, NULL);
    c_line(fd, rc == UV_OK ? 'P' : 'F', "self test", rc == UV_OK ? NULL : d->strerror(rc));
    static const int codes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                18, 19, 20, 99, -1, UV_E_VENDOR_BASE, UV_E_VENDOR_BASE + 1};
    int texts = 1;
    c_line(fd, 'S', "strerror for every code", NULL);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *t = d->strerror(codes[i]);
        if (t == NULL || strnlen(t, 256) == 256)
            texts = 0;
    }
    c_line(fd, texts ? 'P' : 'F', "strerror for every code", texts ? NULL : "NULL or unterminated");
    void *ctx = NULL;
    c_line(fd, 'S', "open", NULL);
    rc = d->open(&svc, NULL, NULL, 0, &ctx);
    if (rc != UV_OK || ctx == NULL) {
        c_line(fd, 'F', "open", rc != UV_OK ? d->strerror(rc) : "no context returned");
        return;
    }
    c_line(fd, 'P', "open", NULL);
    const char *le = d->last_error(ctx);
    CHECK("last_error is never NULL", le != NULL, "NULL");
    CHECK("verify(NULL meter) fails", d->verify(ctx, NULL, NULL) != UV_OK, "returned UV_OK");
    struct uv_meter m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    m.number = "0";
    m.type_code = d->type_codes[0];
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    c_line(fd, 'S', "verify without keys or parameters", NULL);
    rc = d->verify(ctx, &m, &info);
    c_line(fd, 'P', "verify without keys or parameters", NULL); /* returning at all is the test */
    struct uv_issue_result res;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    CHECK("issue_credit(NULL request) fails", d->issue_credit(ctx, &m, NULL, &res) != UV_OK,
          "returned UV_OK");
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 0, 1};
    CHECK("issue_credit of nothing fails", d->issue_credit(ctx, &m, &req, &res) != UV_OK,
          "returned UV_OK for 0 Wh");
    /* an output smaller than the driver's struct: it must refuse and write
       nothing past struct_size */
    union {
        struct uv_issue_result r;
        unsigned char raw[sizeof(struct uv_issue_result) + 64];
    } small;
    memset(&small, 0xA5, sizeof small);
    small.r.struct_size = 8;
    req.amount = 100000;
    rc = d->issue_credit(ctx, &m, &req, &small.r);
    int intact = 1;
    for (size_t i = 8; i < sizeof small.raw; i++)
        if (small.raw[i] != 0xA5)
            intact = 0;
    CHECK("a too small output is refused and not overrun", rc != UV_OK && intact,
          rc == UV_OK ? "returned UV_OK" : "wrote past struct_size");
    if (d->decode_token) {
        static const char *garbage[] = {"", "abc", "12345", "\xff\xfe\xfd",
                                        "99999999999999999999999999999999999999999999999999"
                                        "99999999999999999999999999999999999999999999999999"
                                        "99999999999999999999999999999999999999999999999999"};
        struct uv_token_info ti;
        int ok = 1;
        c_line(fd, 'S', "decode_token refuses garbage", NULL);
        for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
            memset(&ti, 0, sizeof ti);
            ti.struct_size = sizeof ti;
            if (d->decode_token(ctx, &m, garbage[i], &ti) == UV_OK)
                ok = 0;
        }
        memset(&ti, 0, sizeof ti);
        ti.struct_size = sizeof ti;
        if (d->decode_token(ctx, &m, NULL, &ti) == UV_OK)
            ok = 0;
        c_line(fd, ok ? 'P' : 'F', "decode_token refuses garbage", ok ? NULL : "accepted one");
    }
    if (d->issue_mgmt) {
        CHECK("issue_mgmt(NULL request) fails", d->issue_mgmt(ctx, &m, NULL, &res) != UV_OK,
              "returned UV_OK");
        struct uv_mgmt_request mr = {sizeof mr, 0x7FFFFFFF, 0, NULL, 0};
        CHECK("issue_mgmt of an unknown operation fails", d->issue_mgmt(ctx, &m, &mr, &res) != UV_OK,
              "returned UV_OK");
    }
    c_line(fd, 'S', "close", NULL);
    d->close(ctx);
    l.dctx = NULL;
    c_line(fd, 'P', "close", NULL);
    loader_unload(&l);
}

uv_status loader_conformance(const char *path, const char *file, int timeout_ms, FILE *out,
                             unsigned *failures)
{
    int rfd = -1, wfd = -1;
    *failures = 0;
    pid_t pid = fork_driver_child(&rfd, &wfd);
    if (pid < 0)
        return UVS_IO;
    if (pid == 0) {
        conformance_child(path, file, wfd);
        c_line(wfd, 'E', "end", NULL); /* every check ran; only _exit is left */
        _exit(0);
    }
    char buf[8192], started[256] = "load";
    size_t have = 0;
    int64_t deadline = ms_now() + timeout_ms;
    int timed_out = 0, ended = 0;
    while (!ended) {
        if (!readable_before(rfd, deadline)) {
            timed_out = 1;
            break;
        }
        ssize_t r = read(rfd, buf + have, sizeof buf - 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        buf[have] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            if (buf[0] == 'S')
                snprintf(started, sizeof started, "%.200s", buf + 2);
            else if (buf[0] == 'E')
                ended = 1;
            else if (buf[0] == 'P')
                fprintf(out, "PASS  %s\n", buf + 2);
            else if (buf[0] == 'F') {
                fprintf(out, "FAIL  %s\n", buf + 2);
                (*failures)++;
            }
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used + 1);
            have -= used;
        }
        if (have == sizeof buf - 1)
            have = 0; /* a line that long is not ours */
    }
    close(rfd);
    if (timed_out)
        kill(pid, SIGKILL);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        fprintf(out, "FAIL  %s: hung (no answer in %d ms)\n", started, timeout_ms);
        (*failures)++;
    } else if (WIFSIGNALED(wst) || (WIFEXITED(wst) && WEXITSTATUS(wst) != 0)) {
        fprintf(out, "FAIL  %s: the driver crashed (%s)\n", started,
                WIFSIGNALED(wst) ? strsignal(WTERMSIG(wst)) : "exit status");
        (*failures)++;
    } else if (!ended) {
        fprintf(out, "FAIL  %s: the driver ended the process\n", started);
        (*failures)++;
    }
    return *failures ? UVS_DRIVER : UVS_OK;
}
