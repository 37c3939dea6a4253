/* test_tariff.c — placeholder suite; filled in with the feature. */
#include "testutil.h"

Suite *tariff_suite(void)
{
    return suite_create("tariff");
}
