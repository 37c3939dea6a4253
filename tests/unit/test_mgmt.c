/* test_mgmt.c — placeholder suite; filled in with the feature. */
#include "testutil.h"

Suite *mgmt_suite(void)
{
    return suite_create("mgmt");
}
