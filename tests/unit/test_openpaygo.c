/* test_openpaygo.c — placeholder suite; filled in with the feature. */
#include "testutil.h"

Suite *openpaygo_suite(void)
{
    return suite_create("openpaygo");
}
