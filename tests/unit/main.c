/* main.c — runs every unit test suite (Check) and prints Check's summary. */
#include <check.h>
#include <gcrypt.h>
#include <stdlib.h>

#include "testutil.h"

int main(void)
{
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

    Suite *(*suites[])(void) = {sts_suite,    record_suite, money_suite, config_suite,
                                params_suite, keystore_suite, audit_suite, loader_suite,
                                typeindex_suite, vend_suite, clerks_suite, report_suite, openpaygo_suite, mgmt_suite,
                                tariff_suite, exportfile_suite, hq_suite, trust_suite, instruct_suite, drvsig_suite, drvsign_suite, clock_suite, credit_suite, credit_hq_suite, memcard_suite, cardchan_suite, cpusim_suite, cpucard_suite, logiccard_suite, rfcard_suite, drvproto_suite};
    SRunner *sr = srunner_create(suites[0]());
    for (size_t i = 1; i < sizeof suites / sizeof suites[0]; i++)
        srunner_add_suite(sr, suites[i]());
    if (getenv("CK_XML"))
        srunner_set_xml(sr, getenv("CK_XML"));
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
