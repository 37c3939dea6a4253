/* cli.h — the `univend` command line. */
#ifndef UV_CLI_H
#define UV_CLI_H

/* Run one command line; returns the process exit status (a uv_status). */
int cli_main(int argc, char **argv);

#endif
