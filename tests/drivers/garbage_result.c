/*
 * garbage_result.c — loads, validates and passes its self test, so it can be
 * registered (as "garbage-result", code TST-G1); but issue_credit() reports
 * n_tokens = 99 (more than UV_TOKENS_MAX slots exist). The host's vend code
 * must refuse such a result instead of reading past tokens[].
 */
#define TD_NAME "garbage-result"
#define TD_CODES {"TST-G1", NULL}
#define TD_AFTER_ISSUE out->n_tokens = 99;
#include "good_a.c"
