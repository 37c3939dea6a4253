/* main.c — univend entry point. */
#include <gcrypt.h>
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
    if (!gcry_check_version(GCRYPT_VERSION)) {
        fprintf(stderr, "univend: libgcrypt version mismatch\n");
        return 1;
    }
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    return cli_main(argc, argv);
}
