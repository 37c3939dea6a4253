/* exportfile.c — export file writer and signature check (the reader is
   exportparse.c). */
#include "exportfile.h"

#include <gcrypt.h>
#include <string.h>

#include "digest.h"
#include "ed25519.h"
#include "textrec.h"

void exportfile_name(const char *kiosk, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "univend-%s-%08llu.uvx", kiosk, (unsigned long long)seq);
}

/* ---- writing ---------------------------------------------------------- */

static void csv_field(FILE *out, const char *s)
{
    fputc(',', out);
    tr_csv_text(out, s);
}

static void csv_u64(FILE *out, uint64_t v)
{
    fprintf(out, ",%llu", (unsigned long long)v);
}

static void csv_i64(FILE *out, int64_t v)
{
    fprintf(out, ",%lld", (long long)v);
}

static void csv_hex(FILE *out, const uint8_t *b, size_t n)
{
    char hex[129];
    digest_hex(b, n, hex);
    fprintf(out, ",%s", hex);
}

void exportfile_write_header(FILE *out, const struct export_header *h)
{
    char prev[65], pub[65];
    digest_hex(h->prev_hash, 32, prev);
    digest_hex(h->public_key, 32, pub);
    fprintf(out,
            "%s\n"
            "kiosk=%s\nsequence=%llu\ncreated=%lld\ncurrency=%s\ncurrency_decimals=%u\n"
            "receipt_first=%llu\nreceipt_last=%llu\naudit_first=%llu\naudit_last=%llu\n"
            "closing_first=%llu\nclosing_last=%llu\nprev_hash=%s\n"
            "receipts=%llu\naudits=%llu\nclosings=%llu\n"
            "total_gross=%lld\ntotal_vat=%lld\ntotal_net=%lld\ntotal_energy_wh=%llu\n"
            "public_key=%s\n",
            h->version >= 3 ? EXPORT_MAGIC_V3 : h->version == 2 ? EXPORT_MAGIC_V2 : EXPORT_MAGIC,
            h->kiosk,
            (unsigned long long)h->sequence, (long long)h->created, h->currency,
            h->currency_decimals, (unsigned long long)h->receipt_first,
            (unsigned long long)h->receipt_last, (unsigned long long)h->audit_first,
            (unsigned long long)h->audit_last, (unsigned long long)h->closing_first,
            (unsigned long long)h->closing_last, prev, (unsigned long long)h->receipts,
            (unsigned long long)h->audits, (unsigned long long)h->closings,
            (long long)h->total_gross, (long long)h->total_vat, (long long)h->total_net,
            (unsigned long long)h->total_energy_wh, pub);
    if (h->version >= 2)
        fprintf(out, "instruction_first=%llu\ninstruction_last=%llu\ninstructions=%llu\n",
                (unsigned long long)h->instruction_first, (unsigned long long)h->instruction_last,
                (unsigned long long)h->instructions);
    if (h->version >= 3)
        fprintf(out,
                "credit_grants=%llu\ncredit_from_receipt=%llu\ncredit_money_granted=%lld\n"
                "credit_money_used=%lld\ncredit_money_left=%lld\ncredit_energy_granted_wh=%llu\n"
                "credit_energy_used_wh=%llu\ncredit_energy_left_wh=%lld\ncredit_expires=%lld\n",
                (unsigned long long)h->credit_grants, (unsigned long long)h->credit_from_receipt,
                (long long)h->credit_money_granted, (long long)h->credit_money_used,
                (long long)(h->credit_money_granted - h->credit_money_used),
                (unsigned long long)h->credit_energy_granted_wh,
                (unsigned long long)h->credit_energy_used_wh,
                (long long)h->credit_energy_granted_wh - (long long)h->credit_energy_used_wh,
                (long long)h->credit_expires);
    fputc('\n', out);
}

void exportfile_write_receipt(FILE *out, const struct rec_receipt *r)
{
    char tokens[REC_TOKENS * REC_TOKEN_MAX + 4] = "";
    for (unsigned i = 0; i < r->n_tokens && i < REC_TOKENS; i++) {
        if (i)
            strcat(tokens, " ");
        strcat(tokens, r->tokens[i]);
    }
    fputc('R', out);
    csv_u64(out, r->number);
    csv_i64(out, r->time);
    csv_field(out, r->clerk);
    csv_field(out, r->meter);
    csv_field(out, r->customer);
    csv_field(out, r->type_code);
    csv_field(out, r->driver);
    csv_field(out, r->driver_version);
    csv_field(out, r->tariff);
    csv_i64(out, r->gross);
    csv_i64(out, r->vat);
    csv_i64(out, r->net);
    csv_u64(out, r->vat_bp);
    csv_i64(out, r->price_milli);
    csv_u64(out, r->energy_wh);
    csv_field(out, r->token_id);
    csv_field(out, tokens);
    csv_hex(out, r->hash, 32);
    fputc('\n', out);
}

void exportfile_write_audit(FILE *out, const struct rec_audit *a)
{
    fputc('A', out);
    csv_u64(out, a->seq);
    csv_i64(out, a->time);
    csv_field(out, a->actor);
    csv_field(out, a->action);
    csv_field(out, a->subject);
    csv_field(out, a->detail);
    fputc('\n', out);
}

void exportfile_write_closing(FILE *out, const struct rec_closing *c)
{
    fputc('Z', out);
    csv_u64(out, c->number);
    csv_field(out, c->kind == CLOSING_DAY ? "day" : "shift");
    csv_field(out, c->clerk);
    csv_i64(out, c->time);
    csv_u64(out, c->first_receipt);
    csv_u64(out, c->last_receipt);
    csv_u64(out, c->count);
    csv_i64(out, c->gross);
    csv_i64(out, c->vat);
    csv_i64(out, c->net);
    csv_u64(out, c->energy_wh);
    fputc('\n', out);
}

void exportfile_write_instruction(FILE *out, const struct rec_instruction *i)
{
    fputc('I', out);
    csv_u64(out, i->sequence);
    csv_hex(out, i->file_hash, 32);
    csv_i64(out, i->created);
    csv_i64(out, i->applied_at);
    csv_u64(out, i->records);
    csv_field(out, i->name);
    csv_field(out, i->target);
    fputc('\n', out);
}

void exportfile_signed_message(const void *body, size_t len, uint8_t msg[17 + 32])
{
    tr_signed_message(EXPORT_SIG_CONTEXT, 17, body, len, msg); /* 17: with the NUL */
}

void exportfile_write_signature(FILE *out, const uint8_t sig[64])
{
    char hex[129];
    digest_hex(sig, 64, hex);
    fprintf(out, "SIG,%s\n", hex);
}

/* ---- signature ------------------------------------------------------- */

uv_status exportfile_verify_hash(const char *buf, size_t len, const struct export_parsed *p,
                                 const uint8_t pub[32], uint8_t file_hash[32],
                                 struct uv_error *err)
{
    gcry_md_hd_t body, whole;
    uint8_t msg[17 + 32];
    if (p->body_len > len || gcry_md_open(&body, GCRY_MD_SHA256, 0) != 0)
        return uv_fail(err, UVS_FAILED, "cannot start SHA-256");
    gcry_md_write(body, buf, p->body_len);
    if (gcry_md_copy(&whole, body) != 0) {
        gcry_md_close(body);
        return uv_fail(err, UVS_FAILED, "cannot copy SHA-256 state");
    }
    gcry_md_write(whole, buf + p->body_len, len - p->body_len);
    memcpy(msg, EXPORT_SIG_CONTEXT, 17);
    memcpy(msg + 17, gcry_md_read(body, GCRY_MD_SHA256), 32);
    memcpy(file_hash, gcry_md_read(whole, GCRY_MD_SHA256), 32);
    gcry_md_close(body);
    gcry_md_close(whole);
    uv_status st = ed25519_verify(pub, msg, sizeof msg, p->sig, err);
    if (st == UVS_REFUSED)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the kiosk's registered key "
                       "(forged, altered, or signed by another key)");
    return st;
}

uv_status exportfile_verify(const char *buf, const struct export_parsed *p,
                            const uint8_t pub[32], struct uv_error *err)
{
    uint8_t msg[17 + 32];
    exportfile_signed_message(buf, p->body_len, msg);
    uv_status st = ed25519_verify(pub, msg, sizeof msg, p->sig, err);
    if (st == UVS_REFUSED)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the kiosk's registered key "
                       "(forged, altered, or signed by another key)");
    return st;
}
