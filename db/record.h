/*
 * record.h — the records univend keeps in Berkeley DB, and their codec.
 *
 * Each record is stored as a version byte followed by tag-length-value
 * fields (tag: 1 byte, length: 2 bytes little endian, value). A field that is
 * empty, zero or all zero bytes is left out (absent means zero), so the
 * encoding is canonical and a field added later does not change the bytes,
 * or the hash, of a record that does not use it. Decoding skips
 * tags it does not know, so a newer kiosk can add fields without a
 * migration, and refuses any field that overruns the buffer or its slot, so
 * a damaged record is reported, never read past. The field layout of each
 * record type is a table (struct rec_field), so one encoder and one decoder
 * serve all of them.
 */
#ifndef UV_RECORD_H
#define UV_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define REC_VERSION 1
#define REC_ID_MAX 32       /* ids: meters, customers, tariffs, clerks  */
#define REC_PARAMS_MAX 512  /* meter parameters as "name=value\n..."    */
#define REC_TOKEN_MAX 64
#define REC_TOKENS 4
#define REC_STATE_MAX 256

struct rec_meter {
    char number[REC_ID_MAX];
    char type_code[16];
    char customer[REC_ID_MAX];
    char tariff[REC_ID_MAX];
    char params[REC_PARAMS_MAX];
    uint8_t state[REC_STATE_MAX];
    uint32_t state_len;
    int64_t created_at;
    int64_t last_sale_at;
    uint64_t sales_count;
    uint64_t last_receipt;
    /* this month's purchases, for block tariffs, fixed charge and lifeline */
    uint32_t month;          /* YYYYMM (UTC) the three below belong to */
    uint64_t month_bought_wh;
    int64_t month_fixed_paid;
    uint32_t month_lifeline;
    /* what the meter last reported back on its card */
    int64_t report_at;       /* when the card brought it; 0: never        */
    uint64_t report_remaining; /* credit left in the meter, in report_kind */
    uint32_t report_kind;    /* uv_credit_kind                            */
    uint32_t report_tamper;  /* the driver's tamper bits; 0: none         */
};

struct rec_customer {
    char id[REC_ID_MAX];
    char name[96];
    char address[128];
    char phone[32];
    int64_t created_at;
    int64_t debt;              /* owed, minor units                      */
    uint32_t debt_recover_bp;  /* recovered from each purchase: a share... */
    int64_t debt_recover_fixed;/* ...or a fixed amount                    */
};

struct rec_tariff {
    char id[REC_ID_MAX];
    char name[64];
    int64_t price_milli;   /* flat price of 1 kWh, VAT-exclusive, in 1/1000 of a
                              minor unit; the first block's price with blocks */
    uint32_t vat_bp;       /* VAT in basis points: 1500 = 15.00 %              */
    int64_t created_at;
    uint32_t n_blocks;     /* 0: flat at price_milli                          */
    uint64_t block_upto_wh[4];
    int64_t block_price_milli[4];
    uint32_t n_levies;
    char levy_name[3][32];
    uint32_t levy_bp[3];
    int64_t fixed_monthly; /* minor units, VAT-exclusive                      */
    uint64_t lifeline_wh;  /* free per month                                  */
};

/* Up to 8 ATR patterns of 33 bytes with their masks, as text. */
#define UV_ATR_TEXT_MAX 1100

/* Type index entry: meter type code -> driver file. */
struct rec_typeidx {
    char code[16];
    char file[128];        /* file name inside the driver directory */
    char driver[32];       /* driver name from its descriptor        */
    char version[32];
    char vendor[64];
    uint8_t sha256[32];    /* of the .so at registration             */
    int64_t registered_at;
    char registered_by[REC_ID_MAX];
    /* head office's signature text (src/drvsig.h), checked at every load;
       empty for an entry registered before drivers were signed */
    char signature[2049];
    /* card drivers: the media and the ATR patterns, as "ATR[/MASK] ..." hex
       text, so a card can be matched without loading every driver */
    uint32_t media;
    char atr[UV_ATR_TEXT_MAX];
};

struct rec_receipt {
    uint64_t number;
    int64_t time;
    char kiosk[REC_ID_MAX];
    char clerk[REC_ID_MAX];
    char meter[REC_ID_MAX];
    char customer[REC_ID_MAX];
    char type_code[16];
    char driver[32];
    char driver_version[32];
    char tariff[REC_ID_MAX];
    char currency[4];
    int64_t gross;          /* paid, minor units, VAT included */
    int64_t net;
    int64_t vat;
    int64_t price_milli;
    uint32_t vat_bp;
    uint32_t credit_kind;
    uint64_t energy_wh;     /* what the token carries          */
    uint64_t energy_wh_requested;
    char token_id[32];
    char tokens[REC_TOKENS][REC_TOKEN_MAX];
    uint32_t n_tokens;
    uint32_t reprints;
    uint8_t prev_hash[32];
    uint8_t hash[32];
    /* the parts (gross = net + vat + debt_recovered; net = energy_cost +
       levies + fixed_charge; tendered = gross + change) */
    int64_t tendered, change, debt_recovered, fixed_charge, energy_cost, levies;
    int64_t levy[3];
    char levy_name[3][32];
    uint32_t n_blocks;
    uint64_t block_wh[4];
    int64_t block_price_milli[4];
    int64_t block_cost[4];
    uint64_t lifeline_wh;
    char card_serial[32];   /* the card written, for a card sale */
};

struct rec_audit {
    uint64_t seq;
    int64_t time;
    char actor[REC_ID_MAX];
    char action[32];
    char subject[64];
    char detail[256];
    uint8_t prev_hash[32];
    uint8_t hash[32];
};

struct rec_clerk {
    char id[REC_ID_MAX];
    char name[64];
    uint32_t role;          /* enum uv_role                        */
    uint32_t disabled;
    uint8_t salt[16];
    uint8_t pin_hash[32];
    uint32_t kdf_iterations;
    uint32_t failed;        /* wrong PINs in a row                 */
    int64_t locked_until;   /* Unix seconds; 0 when not locked     */
    int64_t created_at;
    int64_t last_login;
};

#define CLOSING_SHIFT 1
#define CLOSING_DAY 2
struct rec_closing {
    uint64_t number;
    uint32_t kind;          /* CLOSING_SHIFT or CLOSING_DAY        */
    char clerk[REC_ID_MAX]; /* whose shift; who closed the day     */
    int64_t time;
    uint64_t first_receipt, last_receipt;
    uint64_t count;
    int64_t gross, vat, net;
    uint64_t energy_wh;
};

/* One export file written by this kiosk: enough to write it again. */
struct rec_export {
    uint64_t sequence;
    int64_t created;
    uint64_t receipt_first, receipt_last;
    uint64_t audit_first, audit_last;
    uint64_t closing_first, closing_last;
    uint8_t prev_hash[32];
    uint8_t file_hash[32];
    int64_t written_at;     /* last time it was written (or rewritten) */
    uint32_t rewrites;
    char name[64];
    uint32_t format;        /* export format version; 0 (absent) is 1  */
    uint64_t instruction_first, instruction_last; /* applied, confirmed */
    /* format 3: the vending credit as the file reports it (rec_credit) */
    uint64_t credit_grants, credit_from_receipt;
    int64_t credit_money_granted, credit_money_used;
    uint64_t credit_energy_granted_wh, credit_energy_used_wh;
    int64_t credit_expires;
};

/* Head office: a kiosk it accepts files from. */
struct rec_hq_kiosk {
    char id[REC_ID_MAX];
    uint8_t public_key[32];
    int64_t registered_at;
    char registered_by[REC_ID_MAX];
    char group[REC_ID_MAX]; /* instruction files for a group reach it */
};

/* Kiosk: one instruction file applied here, by this kiosk's sequence. */
struct rec_instruction {
    uint64_t sequence;
    uint8_t file_hash[32];
    char name[96];          /* file name as applied                     */
    char target[48];
    int64_t created;        /* head office time                         */
    int64_t expires;
    int64_t applied_at;
    char applied_by[REC_ID_MAX];
    uint8_t signer[32];
    char signer_name[REC_ID_MAX];
    uint64_t records;
};

/* Kiosk: a card serial head office blacklisted. */
struct rec_blacklist {
    char serial[REC_ID_MAX];
    char reason[96];
    int64_t added_at;
    uint64_t instruction;   /* the instruction sequence that listed it */
};

/* Head office: an instruction file sent to a kiosk, and its confirmation. */
struct rec_hq_instr {
    char kiosk[REC_ID_MAX];
    uint64_t sequence;      /* the kiosk's instruction sequence        */
    uint8_t file_hash[32];
    char name[96];
    char target[48];
    int64_t created, expires;
    uint64_t records;
    int64_t applied_at;     /* 0 until an export confirms it           */
    uint8_t applied_hash[32]; /* what the kiosk says it applied        */
    uint64_t confirmed_in;  /* export sequence that confirmed it       */
};

/* Head office: one imported export file. */
struct rec_hq_file {
    char kiosk[REC_ID_MAX];
    uint64_t sequence;
    uint8_t file_hash[32];
    uint8_t prev_hash[32];
    char name[96];
    int64_t created, imported_at;
    uint64_t receipt_first, receipt_last, receipts;
    int64_t gross, vat, net;
    uint64_t energy_wh;
    /* the vending credit the file reports (export format 3; credit_in 1) */
    uint32_t credit_in;
    uint64_t credit_grants, credit_from_receipt;
    int64_t credit_money_granted, credit_money_used;
    uint64_t credit_energy_granted_wh, credit_energy_used_wh;
    int64_t credit_expires;
};

/* Head office: the receipts of one imported file that share a UTC day, a
   tariff and a driver, summed (what hq report adds up). */
struct rec_hq_group {
    char kiosk[REC_ID_MAX];
    uint64_t sequence;       /* the file they came in                  */
    int64_t day;             /* days since 1970-01-01, UTC             */
    char tariff[REC_ID_MAX];
    char driver[32];
    uint64_t first_receipt;  /* the lowest receipt number among them   */
    uint64_t count;
    int64_t gross, vat, net;
    uint64_t energy_wh;
};

/* An engineering / management action on a meter (who, why, the tokens). */
struct rec_mgmt {
    uint64_t number;
    int64_t time;
    char kiosk[REC_ID_MAX];
    char clerk[REC_ID_MAX];
    char meter[REC_ID_MAX];
    char type_code[16];
    char driver[32];
    uint32_t op;            /* uv_mgmt_op */
    uint64_t arg;
    char params[REC_PARAMS_MAX]; /* "name=value\n" as requested */
    char reason[128];
    char token_id[32];
    char tokens[REC_TOKENS][REC_TOKEN_MAX];
    uint32_t n_tokens;
};

/* A head office signing key the kiosk trusts (instruction files, driver
   signatures). A revoked entry stays, so the key cannot be trusted again. */
struct rec_trust {
    char name[REC_ID_MAX];
    uint8_t public_key[32];
    int64_t added_at;
    char added_by[REC_ID_MAX];
    int64_t revoked_at;     /* 0 while trusted                  */
    char revoked_by[REC_ID_MAX];
    char revoked_why[96];   /* e.g. "instruction 7"              */
};

/* The kiosk's vending credit (the float head office grants): one record,
   META "credit". Money in minor units, energy in Wh; a kind head office has
   never granted (granted 0) is not limited. */
struct rec_credit {
    uint64_t grants;             /* grants applied; 0: no credit yet       */
    uint64_t from_receipt;       /* the first receipt counted against it   */
    int64_t money_granted, money_used;
    uint64_t energy_granted_wh, energy_used_wh;
    int64_t expires;             /* Unix seconds: the last grant's expiry  */
    int64_t warn_money;          /* the kiosk warns at or below these      */
    uint64_t warn_wh;
    char last_grant[REC_ID_MAX];
    int64_t last_grant_at;
};

/* One credit grant from head office (META "credit.grant:<id>" once applied,
   so a grant applies once). */
struct rec_credit_grant {
    char id[REC_ID_MAX];
    int64_t money;               /* minor units, >= 0                      */
    uint64_t energy_wh;
    int64_t expires;             /* Unix seconds (UTC)                     */
    int64_t warn_money;
    uint64_t warn_wh;
    int64_t applied_at;
    uint64_t instruction;        /* the instruction file that brought it   */
};

/* A wrapped (encrypted) key. */
struct rec_key {
    char ref[64];
    uint8_t nonce[12];
    uint8_t ct[64];
    uint32_t ct_len;
    uint8_t tag[16];
    int64_t created_at;
    char created_by[REC_ID_MAX];
};

/* Field descriptor: how one struct member maps to one tag. */
enum rec_type { RF_STR, RF_I64, RF_U64, RF_U32, RF_BYTES, RF_BLOB };
struct rec_field {
    uint8_t tag;
    uint8_t type;
    uint16_t offset;
    uint16_t size;     /* slot size; for RF_BLOB the data size */
    uint16_t len_off;  /* RF_BLOB: offset of its uint32_t length member */
};

struct rec_layout {
    const char *name;
    size_t struct_size;
    const struct rec_field *fields;
    size_t n_fields;
};

extern const struct rec_layout rec_meter_layout, rec_customer_layout, rec_tariff_layout,
    rec_typeidx_layout, rec_receipt_layout, rec_audit_layout, rec_key_layout, rec_clerk_layout,
    rec_closing_layout, rec_export_layout, rec_hq_kiosk_layout, rec_hq_file_layout,
    rec_hq_group_layout, rec_mgmt_layout, rec_trust_layout, rec_instruction_layout,
    rec_blacklist_layout, rec_hq_instr_layout, rec_credit_layout, rec_credit_grant_layout;

/* Encode rec into buf (capacity cap); returns the length, or 0 if it does not fit. */
size_t rec_encode(const struct rec_layout *l, const void *rec, uint8_t *buf, size_t cap);
/* Decode into rec (zeroed first). Returns 0, or -1 if the data is malformed. */
int rec_decode(const struct rec_layout *l, const uint8_t *buf, size_t len, void *rec);

/* Largest encoded size of any record, for stack buffers. */
#define REC_BUF_MAX 4096

/* Fixed-width big-endian keys, so B-tree order is numeric order. */
void rec_u64_key(uint64_t v, uint8_t out[8]);
uint64_t rec_u64_from_key(const uint8_t in[8]);

#endif
