/*
 * test_cardchan.c — the card channel's parts that need no pcscd: the PC/SC
 * error words, slots without a reader, the services table with and without
 * readers in univend.conf. (Everything that talks to a reader runs in the
 * end-to-end card tests, on a real pcscd with the virtual reader.)
 */
#include <check.h>
#include <string.h>
#include <winscard.h>

#include "cardchan.h"
#include "services.h"
#include "testutil.h"

START_TEST(pcsc_errors_in_words)
{
    const char *t;
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_S_SUCCESS, &t), UV_OK);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_NO_SERVICE, &t), UV_E_MEDIUM_IO);
    ck_assert_str_eq(t, "the card service pcscd is not running (start it: systemctl start pcscd)");
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_W_REMOVED_CARD, &t), UV_E_MEDIUM_ABSENT);
    ck_assert_str_eq(t, "the card was removed");
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_NO_SMARTCARD, &t), UV_E_MEDIUM_ABSENT);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_READER_UNAVAILABLE, &t), UV_E_MEDIUM_IO);
    ck_assert(strstr(t, "unplugged") != NULL);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_SHARING_VIOLATION, &t), UV_E_MEDIUM_IO);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_TIMEOUT, &t), UV_E_RETRY);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_E_INSUFFICIENT_BUFFER, &t), UV_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(cardchan_map_pcsc(SCARD_W_UNRESPONSIVE_CARD, &t), UV_E_MEDIUM_IO);
    /* anything else is a reader failure, never success */
    ck_assert_int_eq(cardchan_map_pcsc(0x8010FFFFL, &t), UV_E_MEDIUM_IO);
    ck_assert_str_eq(t, "the card reader failed");
}
END_TEST

START_TEST(slots_without_readers)
{
    struct uv_cardchan c;
    uint8_t buf[UV_RESPONSE_MAX];
    size_t n = 99;
    cardchan_init(&c, "", NULL);
    ck_assert(!cardchan_configured(&c));
    ck_assert_int_eq(cardchan_wait(&c, UV_SLOT_USER, 1, 10), UV_E_UNSUPPORTED);
    ck_assert_str_eq(cardchan_detail(&c), "no card reader is configured: set card_reader in "
                                          "univend.conf (univend card readers lists the readers)");
    ck_assert_int_eq(cardchan_wait(&c, UV_SLOT_SAM, 1, 10), UV_E_UNSUPPORTED);
    ck_assert(strstr(cardchan_detail(&c), "sam_reader") != NULL);
    ck_assert_int_eq(cardchan_wait(&c, 7, 1, 10), UV_E_UNSUPPORTED);
    /* nothing connected: a transmission has no card, a release is harmless */
    static const uint8_t apdu[] = {0xFF, 0xB0, 0x00, 0x00, 0x10};
    ck_assert_int_eq(cardchan_transmit(&c, UV_SLOT_USER, apdu, sizeof apdu, buf, sizeof buf, &n),
                     UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(cardchan_transmit(&c, UV_SLOT_USER, apdu, 3, buf, sizeof buf, &n), UV_E_ARG);
    ck_assert_int_eq(cardchan_atr(&c, UV_SLOT_USER, buf, sizeof buf, &n), UV_E_MEDIUM_ABSENT);
    ck_assert_int_eq(cardchan_disconnect(&c, UV_SLOT_USER, 1), UV_OK);
    cardchan_close(&c);
    cardchan_init(&c, NULL, "SAM reader");
    ck_assert(cardchan_configured(&c));
    ck_assert_str_eq(c.slot[UV_SLOT_SAM].want, "SAM reader");
}
END_TEST

START_TEST(services_only_with_readers)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    ck_assert_ptr_null(ctx->svc.card_transmit); /* no reader in univend.conf */
    ck_assert_ptr_null(ctx->svc.card_wait);
    snprintf(ctx->cfg.card_reader, sizeof ctx->cfg.card_reader, "Virtual PCD 00 00");
    services_init(ctx);
    ck_assert_ptr_nonnull(ctx->svc.card_readers);
    ck_assert_ptr_nonnull(ctx->svc.card_wait);
    ck_assert_ptr_nonnull(ctx->svc.card_connect);
    ck_assert_ptr_nonnull(ctx->svc.card_atr);
    ck_assert_ptr_nonnull(ctx->svc.card_transmit);
    ck_assert_ptr_nonnull(ctx->svc.card_disconnect);
    ck_assert_str_eq(ctx->cards.slot[UV_SLOT_USER].want, "Virtual PCD 00 00");
    ck_assert_uint_ge(ctx->svc.struct_size,
                      offsetof(struct uv_host_services, card_disconnect) + sizeof(void *));
    /* the SAM slot of this kiosk has no reader */
    ck_assert_int_eq(ctx->svc.card_wait(ctx, UV_SLOT_SAM, 1, 0), UV_E_UNSUPPORTED);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *cardchan_suite(void)
{
    Suite *s = suite_create("cardchan");
    TCase *tc = tcase_create("channel");
    tcase_add_test(tc, pcsc_errors_in_words);
    tcase_add_test(tc, slots_without_readers);
    tcase_add_test(tc, services_only_with_readers);
    suite_add_tcase(s, tc);
    return s;
}
