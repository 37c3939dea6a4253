/* store.c — Berkeley DB environment, databases, transactions. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const char *const db_files[UV_DB_COUNT] = {
    [UV_DB_META] = "meta.db",           [UV_DB_TYPEIDX] = "typeindex.db",
    [UV_DB_METERS] = "meters.db",       [UV_DB_CUSTOMERS] = "customers.db",
    [UV_DB_TARIFFS] = "tariffs.db",     [UV_DB_RECEIPTS] = "receipts.db",
    [UV_DB_AUDIT] = "audit.db",         [UV_DB_KEYS] = "keys.db",
    [UV_DB_CLERKS] = "clerks.db",       [UV_DB_CLOSINGS] = "closings.db",
    [UV_DB_EXPORTS] = "exports.db",     [UV_DB_MGMT] = "engineering.db",
    [UV_DB_TRUST] = "trust.db",         [UV_DB_INSTRUCTIONS] = "instructions.db",
    [UV_DB_TARIFF_VERSIONS] = "tariff-versions.db", [UV_DB_BLACKLIST] = "blacklist.db",
    [UV_DB_PENDING] = "card-pending.db",
    [UV_DB_HQ_KIOSKS] = "hq-kiosks.db", [UV_DB_HQ_FILES] = "hq-files.db",
    [UV_DB_HQ_FILEDATA] = "hq-filedata.db", [UV_DB_HQ_RANGES] = "hq-ranges.db",
    [UV_DB_HQ_GROUPS] = "hq-groups.db", [UV_DB_HQ_AUDIT] = "hq-audit.db",
    [UV_DB_HQ_CLOSINGS] = "hq-closings.db", [UV_DB_HQ_INSTR] = "hq-instructions.db",
};

/* Page size when a database is created (0: Berkeley DB's choice). Whole
   export files of a few hundred KiB go on overflow pages: large pages mean
   fewer of them. */
static const u_int32_t db_pagesize[UV_DB_COUNT] = {
    [UV_DB_HQ_FILEDATA] = 64 * 1024,
};

/* A Berkeley DB call failed: say what it means for the person at the kiosk.
   A full disk is told as such whatever code the call returned (Berkeley DB
   reports a failed log write as a panic of the environment). */
uv_status store_fail(struct uv_store *s, struct uv_error *err, int dbret, const char *what)
{
    if (dbret == DB_NOTFOUND)
        return uv_fail(err, UVS_NOTFOUND, "%s: not found", what);
    if (dbret == DB_KEYEXIST)
        return uv_fail(err, UVS_EXISTS, "%s: already exists", what);
    if (dbret == ENOSPC && s)
        s->disk_full = 1;
    if (dbret == ENOSPC || (s && s->disk_full))
        return uv_fail(err, UVS_STORE,
                       "%s: the disk holding the database is full; nothing of it was written. "
                       "Free space and try again",
                       what);
    if (dbret == DB_RUNRECOVERY)
        return uv_fail(err, UVS_STORE,
                       "%s: the database stopped and needs recovery; univend recovers it on the "
                       "next action (restart univend if this repeats)",
                       what);
    return uv_fail(err, UVS_STORE, "%s: %s", what, db_strerror(dbret));
}

/* Free blocks on the database's disk (0 when unknown). */
static unsigned long long disk_avail(const struct uv_store *s)
{
    struct statvfs v;
    return statvfs(s->home, &v) == 0 ? (unsigned long long)v.f_bavail : 0;
}

/* Berkeley DB tells of a failed write here, sometimes without failing the
   call that made it (5.3 can return success from a commit whose log write
   failed when a new log file was due). After such a write the cache may
   hold what the log does not: nothing more may be written or trusted, so
   the environment is marked failed at once; the call in progress fails,
   and store_recover() opens it again with recovery. */
static void env_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
    (void)prefix;
    struct uv_store *s = env->app_private;
    if (s && (strstr(msg, strerror(ENOSPC)) || strstr(msg, strerror(EDQUOT)))) {
        if (!s->disk_full)
            s->avail_at_failure = disk_avail(s);
        s->disk_full = 1;
        s->panicked = 1;
    } else if (s && strstr(msg, strerror(EIO))) {
        s->panicked = 1;
    }
    /* Berkeley DB's own diagnostics are noisy for expected conditions; the
       caller reports failures with context. Keep them for debugging only. */
    if (getenv("UNIVEND_DB_DEBUG"))
        fprintf(stderr, "bdb: %s\n", msg);
}

static void env_event(DB_ENV *env, u_int32_t event, void *info)
{
    (void)info;
    struct uv_store *s = env->app_private;
    if (s && event == DB_EVENT_PANIC)
        s->panicked = 1;
}

/* Close everything. The checkpoint comes first and only a checkpoint that
   wrote every page lets the handles flush: a page that could not be written
   (a full disk) would otherwise be dropped from the cache when its database
   is closed, and a checkpoint after that would declare the log before it
   no longer needed, losing committed transactions. Without one, the next
   open replays them from the log. */
static void env_close(struct uv_store *s)
{
    int synced = 0;
    if (s->env && !s->panicked)
        synced = s->env->txn_checkpoint(s->env, 0, 0, 0) == 0;
    /* After a failed write the cache holds pages whose log never reached
       the disk, and closing a process-private environment writes its cache
       (breaking write-ahead logging: recovery could not undo them). A
       panicked environment writes nothing; Berkeley DB then keeps some of
       its memory, a few megabytes per failure until the process ends. */
    if (s->env && s->panicked) /* also when the checkpoint just failed */
        s->env->set_flags(s->env, DB_PANIC_ENVIRONMENT, 1);
    for (int i = 0; i < UV_DB_COUNT; i++) {
        if (s->db[i]) {
            s->db[i]->close(s->db[i], synced ? 0 : DB_NOSYNC);
            s->db[i] = NULL;
        }
    }
    if (s->env) {
        s->env->close(s->env, 0);
        s->env = NULL;
    }
}

/* The environment and every database, with normal recovery. The regions
   live in this process's memory (DB_PRIVATE): one process owns the
   environment anyway, and memory-mapped region files grow on demand, which
   on a full disk kills the process with SIGBUS. */
static uv_status env_open(struct uv_store *s, struct uv_error *err)
{
    int ret;
    if ((ret = db_env_create(&s->env, 0)) != 0)
        return store_fail(s, err, ret, "creating the database environment");
    s->env->app_private = s;
    s->env->set_errcall(s->env, env_errcall);
    s->env->set_event_notify(s->env, env_event);
    s->env->set_lk_detect(s->env, DB_LOCK_DEFAULT);
    unsigned cache_mb = s->cache_mb;
    s->env->set_cachesize(s->env, cache_mb / 1024, (cache_mb % 1024) * 1024 * 1024, 1);
    /* locks are per page: a transaction over a large import or export needs
       many; scale the table with the cache (8 MiB: 20,000; 1 GiB: 200,000) */
    u_int32_t locks = cache_mb * 200 < 20000 ? 20000 : cache_mb * 200 > 200000 ? 200000 : cache_mb * 200;
    s->env->set_lk_max_locks(s->env, locks);
    s->env->set_lk_max_objects(s->env, locks);
    /* the log buffer holds many imported files, each one transaction (1/32
       of the cache: 256 KiB for a kiosk's 8 MiB, 32 MiB at head office's
       1 GiB) */
    s->env->set_lg_bsize(s->env, cache_mb * 32 * 1024 < 256 * 1024 ? 256 * 1024 : cache_mb * 32 * 1024);
    s->env->set_lg_max(s->env, 4 * 1024 * 1024);
    u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK | DB_INIT_MPOOL |
                      DB_RECOVER | DB_PRIVATE;
    if ((ret = s->env->open(s->env, s->home, flags, 0600)) != 0) {
        uv_status st = store_fail(s, err, ret, "opening the database environment");
        s->env->close(s->env, 0);
        s->env = NULL;
        return st;
    }
    s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 1);
    if (s->panicked) { /* recovery said it was done, but a write failed */
        uv_status st = store_fail(s, err, DB_RUNRECOVERY, "opening the database environment");
        env_close(s);
        return st;
    }

    for (int i = 0; i < UV_DB_COUNT; i++) {
        DB *db;
        if ((ret = db_create(&db, s->env, 0)) != 0) {
            uv_status st = store_fail(s, err, ret, "creating a database handle");
            env_close(s);
            return st;
        }
        if (db_pagesize[i])
            db->set_pagesize(db, db_pagesize[i]);
        if ((ret = db->open(db, NULL, db_files[i], NULL, DB_BTREE, DB_AUTO_COMMIT | DB_CREATE,
                            0600)) != 0) {
            db->close(db, 0);
            char what[96];
            snprintf(what, sizeof what, "opening %s", db_files[i]);
            uv_status st = store_fail(s, err, ret, what);
            env_close(s);
            return st;
        }
        s->db[i] = db;
    }
    if (s->panicked) {
        uv_status st = store_fail(s, err, DB_RUNRECOVERY, "opening the databases");
        env_close(s);
        return st;
    }
    return UVS_OK;
}

uv_status store_open(struct uv_store *s, const char *dir, int create, struct uv_error *err)
{
    return store_open_sized(s, dir, create, 8, err);
}

uv_status store_open_sized(struct uv_store *s, const char *dir, int create, unsigned cache_mb,
                           struct uv_error *err)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    s->cache_mb = cache_mb;
    if (snprintf(s->home, sizeof s->home, "%s", dir) >= (int)sizeof s->home)
        return uv_fail(err, UVS_INPUT, "database directory path is too long");
    if (stat(dir, &st) != 0) {
        if (!create)
            return uv_fail(err, UVS_NOTFOUND,
                           "no kiosk database at %s (run 'univend init' first)", dir);
        if (mkdir(dir, 0700) != 0)
            return uv_fail(err, UVS_IO, "cannot create %s: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return uv_fail(err, UVS_INPUT, "%s is not a directory", dir);
    }

    /* one owner at a time: recovery must never run beside a live process */
    char lockpath[4200];
    snprintf(lockpath, sizeof lockpath, "%s/univend.lock", dir);
    s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        if (errno == ENOSPC)
            return store_fail(s, err, ENOSPC, "opening the database");
        return uv_fail(err, UVS_IO, "cannot open %s: %s", lockpath, strerror(errno));
    }
    const char *wait_env = getenv("UNIVEND_LOCK_WAIT_MS");
    int wait_ms = wait_env ? atoi(wait_env) : STORE_LOCK_WAIT_MS;
    for (int waited = 0; flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0; waited += 50) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= wait_ms) {
            int e = errno;
            close(s->lock_fd);
            s->lock_fd = -1;
            if (e == EWOULDBLOCK)
                return uv_fail(err, UVS_STORE,
                               "the kiosk database %s is in use by another univend process "
                               "(the kiosk screen?); try again when it has finished",
                               dir);
            return uv_fail(err, UVS_IO, "cannot lock %s: %s", lockpath, strerror(e));
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    uv_status r = env_open(s, err);
    if (r != UVS_OK)
        store_close(s);
    return r;
}

void store_close(struct uv_store *s)
{
    env_close(s);
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* releases the lock */
        s->lock_fd = -1;
    }
}

int store_needs_recovery(const struct uv_store *s)
{
    return s->panicked || (s->env == NULL && s->lock_fd >= 0);
}

int store_disk_full(const struct uv_store *s)
{
    return s->disk_full;
}

uv_status store_recover(struct uv_store *s, struct uv_error *err)
{
    if (!store_needs_recovery(s))
        return UVS_OK;
    /* after a full disk, try again only once space has been freed */
    if (s->disk_full && s->env == NULL && disk_avail(s) <= s->avail_at_failure)
        return store_fail(s, err, ENOSPC, "the database");
    env_close(s);
    s->panicked = 0;
    s->disk_full = 0;
    uv_status st = env_open(s, err);
    if (st != UVS_OK && s->disk_full)
        s->avail_at_failure = disk_avail(s);
    return st;
}

/* Every call first: a failed environment is not used until
   store_recover() has opened it again. */
static uv_status ready(struct uv_store *s, struct uv_error *err)
{
    if (s->env && !s->panicked)
        return UVS_OK;
    return store_fail(s, err, DB_RUNRECOVERY, "the database");
}

static uv_status begin(struct uv_store *s, DB_TXN **txn, u_int32_t flags, struct uv_error *err)
{
    *txn = NULL;
    uv_status st = ready(s, err);
    if (st != UVS_OK)
        return st;
    int ret = s->env->txn_begin(s->env, NULL, txn, flags);
    if (ret != 0) {
        *txn = NULL;
        return store_fail(s, err, ret, "starting a transaction");
    }
    return UVS_OK;
}

uv_status store_begin(struct uv_store *s, DB_TXN **txn, struct uv_error *err)
{
    return begin(s, txn, 0, err);
}

uv_status store_begin_nosync(struct uv_store *s, DB_TXN **txn, struct uv_error *err)
{
    return begin(s, txn, DB_TXN_NOSYNC, err);
}

uv_status store_flush(struct uv_store *s, struct uv_error *err)
{
    uv_status st = ready(s, err);
    if (st != UVS_OK)
        return st;
    int ret = s->env->log_flush(s->env, NULL);
    if (ret == 0 && s->panicked)
        ret = DB_RUNRECOVERY; /* a write failed on the way */
    return ret ? store_fail(s, err, ret, "flushing the log") : UVS_OK;
}

uv_status store_checkpoint(struct uv_store *s, struct uv_error *err)
{
    uv_status st = ready(s, err);
    if (st != UVS_OK)
        return st;
    int ret = s->env->txn_checkpoint(s->env, 0, 0, 0);
    if (ret == 0 && s->panicked)
        ret = DB_RUNRECOVERY; /* a page could not be written */
    return ret ? store_fail(s, err, ret, "writing the database") : UVS_OK;
}

uv_status store_commit(struct uv_store *s, DB_TXN *txn, struct uv_error *err)
{
    int ret = txn->commit(txn, 0); /* synchronous: on disk when it returns */
    if (ret == 0 && s->panicked)
        ret = DB_RUNRECOVERY; /* a write failed on the way: not durable */
    if (ret != 0)
        return store_fail(s, err, ret, "committing");
    return UVS_OK;
}

void store_abort(DB_TXN *txn)
{
    if (txn)
        txn->abort(txn);
}

static void dbt_in(DBT *d, const void *p, size_t n)
{
    memset(d, 0, sizeof *d);
    d->data = (void *)p;
    d->size = (u_int32_t)n;
}

uv_status store_get(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, void *buf, size_t cap, size_t *len, int rmw,
                    struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    DBT k, v;
    dbt_in(&k, key, klen);
    memset(&v, 0, sizeof v);
    v.data = buf;
    v.ulen = (u_int32_t)cap;
    v.flags = DB_DBT_USERMEM;
    int ret = s->db[id]->get(s->db[id], txn, &k, &v, rmw && txn ? DB_RMW : 0);
    if (ret == DB_NOTFOUND)
        return UVS_NOTFOUND;
    if (ret == DB_BUFFER_SMALL)
        return uv_fail(err, UVS_STORE, "a record in %s is larger than expected (damaged?)",
                       db_files[id]);
    if (ret != 0)
        return store_fail(s, err, ret, db_files[id]);
    *len = v.size;
    return UVS_OK;
}

uv_status store_put(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, const void *val, size_t vlen, int nooverwrite,
                    struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    DBT k, v;
    dbt_in(&k, key, klen);
    dbt_in(&v, val, vlen);
    int ret = s->db[id]->put(s->db[id], txn, &k, &v, nooverwrite ? DB_NOOVERWRITE : 0);
    if (ret == DB_KEYEXIST)
        return UVS_EXISTS;
    if (ret != 0)
        return store_fail(s, err, ret, db_files[id]);
    return UVS_OK;
}

uv_status store_del(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    DBT k;
    dbt_in(&k, key, klen);
    int ret = s->db[id]->del(s->db[id], txn, &k, 0);
    if (ret == DB_NOTFOUND)
        return UVS_NOTFOUND;
    if (ret != 0)
        return store_fail(s, err, ret, db_files[id]);
    return UVS_OK;
}

uv_status store_get_rec(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                        size_t klen, const struct rec_layout *l, void *rec, int rmw,
                        struct uv_error *err)
{
    uint8_t buf[REC_BUF_MAX];
    size_t len = 0;
    uv_status st = store_get(s, txn, id, key, klen, buf, sizeof buf, &len, rmw, err);
    if (st != UVS_OK)
        return st;
    if (rec_decode(l, buf, len, rec) != 0)
        return uv_fail(err, UVS_STORE, "a %s record in %s is damaged", l->name, db_files[id]);
    return UVS_OK;
}

uv_status store_put_rec(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                        size_t klen, const struct rec_layout *l, const void *rec,
                        int nooverwrite, struct uv_error *err)
{
    uint8_t buf[REC_BUF_MAX];
    size_t len = rec_encode(l, rec, buf, sizeof buf);
    if (len == 0)
        return uv_fail(err, UVS_INPUT, "a %s record does not fit its fields", l->name);
    return store_put(s, txn, id, key, klen, buf, len, nooverwrite, err);
}

uv_status store_iterate(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *from,
                        size_t from_len, int reverse, store_iter_fn fn, void *arg,
                        struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    DBC *c;
    DBT k, v;
    int ret = s->db[id]->cursor(s->db[id], txn, &c, 0);
    if (ret != 0)
        return store_fail(s, err, ret, db_files[id]);
    memset(&k, 0, sizeof k);
    memset(&v, 0, sizeof v);
    u_int32_t first, next;
    if (from) {
        dbt_in(&k, from, from_len);
        first = DB_SET_RANGE;
        next = reverse ? DB_PREV : DB_NEXT;
    } else {
        first = reverse ? DB_LAST : DB_FIRST;
        next = reverse ? DB_PREV : DB_NEXT;
    }
    uv_status st = UVS_OK;
    ret = c->get(c, &k, &v, first);
    if (from && reverse) {
        if (ret == DB_NOTFOUND) /* every key is below from: start at the last */
            ret = c->get(c, &k, &v, DB_LAST);
        else if (ret == 0 && (k.size != from_len || memcmp(k.data, from, from_len) != 0))
            ret = c->get(c, &k, &v, DB_PREV); /* landed above from */
    }
    while (ret == 0) {
        int r = fn(k.data, k.size, v.data, v.size, arg);
        if (r == STORE_STOP)
            break;
        if (r != 0) {
            st = (uv_status)r;
            break;
        }
        ret = c->get(c, &k, &v, next);
    }
    if (ret != 0 && ret != DB_NOTFOUND)
        st = store_fail(s, err, ret, db_files[id]);
    c->close(c);
    return st;
}

uv_status store_meta_get(struct uv_store *s, DB_TXN *txn, const char *name, void *buf,
                         size_t cap, size_t *len, int rmw, struct uv_error *err)
{
    return store_get(s, txn, UV_DB_META, name, strlen(name), buf, cap, len, rmw, err);
}

uv_status store_meta_put(struct uv_store *s, DB_TXN *txn, const char *name, const void *val,
                         size_t len, struct uv_error *err)
{
    return store_put(s, txn, UV_DB_META, name, strlen(name), val, len, 0, err);
}

uv_status store_counter_peek(struct uv_store *s, DB_TXN *txn, const char *name, uint64_t *out,
                             struct uv_error *err)
{
    uint8_t b[8];
    size_t len = 0;
    uv_status st = store_meta_get(s, txn, name, b, sizeof b, &len, 0, err);
    if (st == UVS_NOTFOUND) {
        *out = 0;
        return UVS_OK;
    }
    if (st != UVS_OK)
        return st;
    if (len != 8)
        return uv_fail(err, UVS_STORE, "counter %s is damaged", name);
    *out = rec_u64_from_key(b);
    return UVS_OK;
}

uv_status store_counter_next(struct uv_store *s, DB_TXN *txn, const char *name, uint64_t *out,
                             struct uv_error *err)
{
    uint8_t b[8];
    size_t len = 0;
    uint64_t v = 0;
    uv_status st = store_meta_get(s, txn, name, b, sizeof b, &len, 1, err);
    if (st == UVS_OK) {
        if (len != 8)
            return uv_fail(err, UVS_STORE, "counter %s is damaged", name);
        v = rec_u64_from_key(b);
    } else if (st != UVS_NOTFOUND) {
        return st;
    }
    v++;
    rec_u64_key(v, b);
    st = store_meta_put(s, txn, name, b, 8, err);
    if (st != UVS_OK)
        return st;
    *out = v;
    return UVS_OK;
}

uv_status store_get_alloc(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                          size_t klen, void **buf, size_t *cap, size_t *len,
                          struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    DBT k, v;
    dbt_in(&k, key, klen);
    for (;;) {
        memset(&v, 0, sizeof v);
        v.data = *buf;
        v.ulen = (u_int32_t)*cap;
        v.flags = DB_DBT_USERMEM;
        int ret = s->db[id]->get(s->db[id], txn, &k, &v, 0);
        if (ret == DB_NOTFOUND)
            return UVS_NOTFOUND;
        if (ret == DB_BUFFER_SMALL) {
            void *bigger = realloc(*buf, v.size);
            if (bigger == NULL)
                return uv_fail(err, UVS_NOMEM, "out of memory reading %s", db_files[id]);
            *buf = bigger;
            *cap = v.size;
            continue;
        }
        if (ret != 0)
            return store_fail(s, err, ret, db_files[id]);
        *len = v.size;
        return UVS_OK;
    }
}

uv_status store_file_has_records(struct uv_store *s, const char *name, int *found,
                                 struct uv_error *err)
{
    char path[4200];
    struct stat st;
    *found = 0;
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    snprintf(path, sizeof path, "%s/%s", s->home, name);
    if (stat(path, &st) != 0)
        return UVS_OK;
    DB *db;
    DBC *c;
    DBT k, v;
    int ret = db_create(&db, s->env, 0);
    if (ret != 0)
        return store_fail(s, err, ret, name);
    ret = db->open(db, NULL, name, NULL, DB_UNKNOWN, DB_RDONLY, 0);
    if (ret == 0 && (ret = db->cursor(db, NULL, &c, 0)) == 0) {
        memset(&k, 0, sizeof k);
        memset(&v, 0, sizeof v);
        v.flags = DB_DBT_PARTIAL; /* presence only */
        ret = c->get(c, &k, &v, DB_FIRST);
        *found = ret == 0;
        if (ret == DB_NOTFOUND)
            ret = 0;
        c->close(c);
    }
    db->close(db, 0);
    return ret ? store_fail(s, err, ret, name) : UVS_OK;
}

uv_status store_backup(struct uv_store *s, const char *dir, struct uv_error *err)
{
    uv_status rs = ready(s, err);
    if (rs != UVS_OK)
        return rs;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return uv_fail(err, UVS_IO, "cannot create %s: %s", dir, strerror(errno));
    /* a checkpoint first, so the copy needs little log to recover */
    s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE);
    int ret = s->env->backup(s->env, dir, DB_CREATE | DB_BACKUP_CLEAN | DB_BACKUP_FILES |
                                               DB_BACKUP_SINGLE_DIR);
    if (ret != 0)
        return store_fail(s, err, ret, "backing up");
    return UVS_OK;
}
