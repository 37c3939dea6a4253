/*
 * store.h — the Berkeley DB environment and databases of one kiosk.
 *
 * One environment directory holds every database, opened with transactions,
 * write-ahead logging and locking. One process at a time owns a kiosk's
 * environment (an exclusive flock on HOME/db/univend.lock, waited for up to
 * STORE_LOCK_WAIT_MS), and every open runs normal recovery (DB_RECOVER), so
 * a power cut or a killed process leaves exactly the committed
 * transactions, and recovery never runs under another process's feet.
 * Commits are synchronous: when store_commit() returns UVS_OK the
 * transaction is on disk (one begun with store_begin_nosync excepted).
 */
#ifndef UV_STORE_H
#define UV_STORE_H

#include <db.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/status.h"
#include "record.h"

enum uv_dbid {
    UV_DB_META,      /* counters and chain heads: name -> value        */
    UV_DB_TYPEIDX,   /* type code -> struct rec_typeidx                 */
    UV_DB_METERS,    /* meter number -> struct rec_meter                */
    UV_DB_CUSTOMERS, /* customer id -> struct rec_customer              */
    UV_DB_TARIFFS,   /* tariff id -> struct rec_tariff                  */
    UV_DB_RECEIPTS,  /* receipt number (u64 BE) -> struct rec_receipt   */
    UV_DB_AUDIT,     /* sequence (u64 BE) -> struct rec_audit           */
    UV_DB_KEYS,      /* key reference -> struct rec_key (wrapped)       */
    UV_DB_CLERKS,    /* clerk id -> struct rec_clerk                    */
    UV_DB_CLOSINGS,  /* closing number (u64 BE) -> struct rec_closing   */
    UV_DB_EXPORTS,   /* export sequence (u64 BE) -> struct rec_export   */
    UV_DB_MGMT,      /* number (u64 BE) -> struct rec_mgmt              */
    UV_DB_TRUST,     /* name -> struct rec_trust (head office keys)     */
    UV_DB_INSTRUCTIONS, /* sequence (u64 BE) -> struct rec_instruction  */
    UV_DB_TARIFF_VERSIONS, /* tariff id NUL from (u64 BE) -> rec_tariff */
    UV_DB_BLACKLIST, /* card serial -> struct rec_blacklist             */
    UV_DB_PENDING,   /* meter number -> struct rec_receipt: a card write
                        whose outcome is not known yet (src/cardsale.c) */
    /* head office */
    UV_DB_HQ_KIOSKS,   /* kiosk id -> struct rec_hq_kiosk                */
    UV_DB_HQ_FILES,    /* kiosk NUL seq (u64 BE) -> struct rec_hq_file   */
    UV_DB_HQ_FILEDATA, /* kiosk NUL seq (u64 BE) -> the file's bytes, as
                          signed (its receipts are read from here)       */
    UV_DB_HQ_RANGES,   /* kiosk NUL first receipt (u64 BE) -> seq (u64 BE)
                          + last receipt (u64 BE): which file holds it   */
    UV_DB_HQ_GROUPS,   /* kiosk NUL seq (u64 BE) index (u32 BE) ->
                          struct rec_hq_group                            */
    UV_DB_HQ_AUDIT,    /* kiosk NUL seq (u64 BE) -> struct rec_audit     */
    UV_DB_HQ_CLOSINGS, /* kiosk NUL number (u64 BE) -> struct rec_closing */
    UV_DB_HQ_INSTR,    /* kiosk NUL seq (u64 BE) -> struct rec_hq_instr  */
    UV_DB_COUNT
};

#define STORE_LOCK_WAIT_MS 15000 /* $UNIVEND_LOCK_WAIT_MS overrides */

struct uv_store {
    int lock_fd;     /* holds the exclusive lock while open */
    DB_ENV *env;
    DB *db[UV_DB_COUNT];
    char home[4096];
    unsigned cache_mb;
    int panicked;    /* a write failed: the environment must be recovered */
    int disk_full;   /* the last failure was a write refused for space    */
    unsigned long long avail_at_failure; /* free blocks then              */
};

/* Open (creating when `create`) the environment in dir. */
uv_status store_open(struct uv_store *s, const char *dir, int create, struct uv_error *err);
/* The same with a cache of cache_mb MiB (store_open uses 8). */
uv_status store_open_sized(struct uv_store *s, const char *dir, int create, unsigned cache_mb,
                           struct uv_error *err);
void store_close(struct uv_store *s);

/* After a failed write (a full disk) the environment is not used again:
   every call fails until it is opened anew, with recovery (committed
   transactions stay, the failed one is gone); the failed one is closed
   without writing anything. A long-running process calls store_recover()
   between actions, never with a transaction open; it keeps the lock, does
   nothing when all is well, and after a full disk tries again only once
   space has been freed.
   store_disk_full: the last failure was a write refused for want of space
   (also when opening failed). */
int store_needs_recovery(const struct uv_store *s);
uv_status store_recover(struct uv_store *s, struct uv_error *err);
int store_disk_full(const struct uv_store *s);

uv_status store_begin(struct uv_store *s, DB_TXN **txn, struct uv_error *err);
uv_status store_commit(struct uv_store *s, DB_TXN *txn, struct uv_error *err);
/* A transaction whose commit does not wait for the disk; store_flush()
   makes every commit so far durable (head office import: one transaction
   per file, one flush per batch). */
uv_status store_begin_nosync(struct uv_store *s, DB_TXN **txn, struct uv_error *err);
uv_status store_flush(struct uv_store *s, struct uv_error *err);
/* Write every changed page to the database files and let the log before
   them go (nothing is done when nothing changed). A long-running process
   calls it between actions: the log stays short, and a full disk is
   noticed at the next action rather than thousands of sales later. */
uv_status store_checkpoint(struct uv_store *s, struct uv_error *err);
void store_abort(DB_TXN *txn);

/* Raw get/put/del. get returns UVS_NOTFOUND when absent. `rmw` takes a write
   lock on read (for read-modify-write inside a transaction). */
uv_status store_get(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, void *buf, size_t cap, size_t *len, int rmw,
                    struct uv_error *err);
/* put with `nooverwrite` fails with UVS_EXISTS when the key is there. */
uv_status store_put(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, const void *val, size_t vlen, int nooverwrite,
                    struct uv_error *err);
uv_status store_del(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                    size_t klen, struct uv_error *err);

/* Records: encode/decode through the layouts of record.h. */
uv_status store_get_rec(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                        size_t klen, const struct rec_layout *l, void *rec, int rmw,
                        struct uv_error *err);
uv_status store_put_rec(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                        size_t klen, const struct rec_layout *l, const void *rec,
                        int nooverwrite, struct uv_error *err);

/* Iterate a database in key order. from/from_len (NULL: the start, or the
   end when reverse) positions the cursor at the first key >= from, or for a
   reverse walk the last key <= from. The callback returns 0 to go on,
   STORE_STOP to stop early, or a uv_status (> 0) to fail the walk. */
#define STORE_STOP (-1)
typedef int (*store_iter_fn)(const void *key, size_t klen, const void *val, size_t vlen,
                             void *arg);
uv_status store_iterate(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *from,
                        size_t from_len, int reverse, store_iter_fn fn, void *arg,
                        struct uv_error *err);

/* Counters in META: returns the next value (first is 1) and stores it,
   inside txn, so an aborted transaction gives its number back. */
uv_status store_counter_next(struct uv_store *s, DB_TXN *txn, const char *name, uint64_t *out,
                             struct uv_error *err);
uv_status store_counter_peek(struct uv_store *s, DB_TXN *txn, const char *name, uint64_t *out,
                             struct uv_error *err);

/* Small named values in META (chain heads, settings). */
uv_status store_meta_get(struct uv_store *s, DB_TXN *txn, const char *name, void *buf,
                         size_t cap, size_t *len, int rmw, struct uv_error *err);
uv_status store_meta_put(struct uv_store *s, DB_TXN *txn, const char *name, const void *val,
                         size_t len, struct uv_error *err);

/* Get a value of any size into *buf (grown with realloc as needed; the
   caller frees it). UVS_NOTFOUND when absent. */
uv_status store_get_alloc(struct uv_store *s, DB_TXN *txn, enum uv_dbid id, const void *key,
                          size_t klen, void **buf, size_t *cap, size_t *len,
                          struct uv_error *err);

/* Has the database file `name` of the environment (open or not, e.g. one an
   earlier version used) any record? *found 0 when it does not exist. */
uv_status store_file_has_records(struct uv_store *s, const char *name, int *found,
                                 struct uv_error *err);

/* Hot backup with Berkeley DB's own DB_ENV->backup: databases and logs into
   dir (created; emptied first), consistent as of the end of the copy; the
   copy opens with normal recovery. */
uv_status store_backup(struct uv_store *s, const char *dir, struct uv_error *err);

/* Map a Berkeley DB error to a status with a message naming what failed
   (s may be NULL). */
uv_status store_fail(struct uv_store *s, struct uv_error *err, int dbret, const char *what);

#endif
