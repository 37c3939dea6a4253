/* hqstore.c — keys of the head office databases, and the version check. */
#include "hqstore.h"

#include <string.h>

#include "digest.h"

size_t hq_key(const char *kiosk, uint64_t n, uint8_t *out)
{
    size_t l = strlen(kiosk);
    memcpy(out, kiosk, l);
    out[l] = '\0';
    rec_u64_key(n, out + l + 1);
    return l + 9;
}

size_t hq_group_key(const char *kiosk, uint64_t seq, uint32_t index, uint8_t *out)
{
    size_t l = hq_key(kiosk, seq, out);
    for (int i = 0; i < 4; i++)
        out[l + (size_t)i] = (uint8_t)(index >> (24 - 8 * i));
    return l + 4;
}

uv_status hq_file_read(struct uv_ctx *ctx, const char *kiosk, uint64_t seq, void **buf,
                       size_t *cap, size_t *len, struct rec_hq_file *f)
{
    uint8_t key[HQ_KEY_MAX], hash[32];
    size_t klen = hq_key(kiosk, seq, key);
    struct rec_hq_file rec;
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_HQ_FILES, key, klen, &rec_hq_file_layout,
                                 &rec, 0, &ctx->err);
    if (st == UVS_OK)
        st = store_get_alloc(&ctx->store, NULL, UV_DB_HQ_FILEDATA, key, klen, buf, cap, len,
                             &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_STORE,
                       "kiosk %s file %llu is listed but not stored (damaged store?)", kiosk,
                       (unsigned long long)seq);
    if (st != UVS_OK)
        return st;
    digest_sha256(*buf, *len, hash);
    if (memcmp(hash, rec.file_hash, 32) != 0)
        return uv_fail(&ctx->err, UVS_STORE,
                       "the stored copy of kiosk %s file %llu differs from what was imported "
                       "(damaged store?); import that file again into a new head office home",
                       kiosk, (unsigned long long)seq);
    if (f)
        *f = rec;
    return UVS_OK;
}

uv_status hq_store_check(struct uv_ctx *ctx)
{
    int found = 0;
    uv_status st = store_file_has_records(&ctx->store, "hq-receipts.db", &found, &ctx->err);
    if (st != UVS_OK)
        return st;
    if (found)
        return uv_fail(&ctx->err, UVS_STORE,
                       "this head office store was written by an earlier univend, which kept "
                       "receipts in hq-receipts.db; import the export files again into a new "
                       "head office home (univend init), then retire this one");
    return UVS_OK;
}

int64_t hq_utc_day(int64_t t)
{
    return t >= 0 ? t / 86400 : -((-(t + 1)) / 86400) - 1;
}
