/*
 * small_struct.c — struct_size says the descriptor ends before self_test
 * (as if built against an older, shorter header): must be refused.
 */
#include <stddef.h>
#define TD_NAME "small-struct"
#define TD_CODES {"TST-X1", NULL}
#define TD_STRUCT_SIZE ((uint32_t)offsetof(struct uv_driver, self_test))
#include "good_a.c"
