/*
 * Commands of the uktls tool.  Each takes argv with its own name at
 * argv[0] and returns the exit status.
 */
#ifndef UKTLS_CLI_H
#define UKTLS_CLI_H

#include <stdint.h>
#include <stdio.h>

struct tls_enable;
struct uk_suite;

#define	UKTLS_VERSION	"0.1.0"

int	cli_wants_help(int argc, char **argv);
/* A count with an optional k or m suffix; 0, or -1 if malformed. */
int	cli_parse_size(const char *s, uint64_t *out);
/*
 * struct tls_enable for a suite, with key, IV and MAC key buffers of the
 * suite's sizes (used in place) and the first record's sequence number.
 */
void	cli_tls_enable(const struct uk_suite *su, const uint8_t *key,
	    const uint8_t *iv, const uint8_t *mkey, uint64_t seq,
	    struct tls_enable *en);
/* --workers: 0..64, or -1 after saying so on stderr. */
int	cli_parse_workers(const char *cmd, const char *arg, int *workers);
/* The suite called name, or NULL after saying so on stderr. */
const struct uk_suite *cli_suite(const char *cmd, const char *name);
/* getopt_long()'s '?': say which, print the usage; returns 2. */
int	cli_bad_option(const char *cmd, char **argv,
	    void (*cmd_usage)(FILE *));
/* 2 (after saying so) if arguments are left after the options, else 0. */
int	cli_extra_args(const char *cmd, int argc, char **argv);
int	cmd_bench(int argc, char **argv);
int	cmd_demo(int argc, char **argv);
int	cmd_explain(int argc, char **argv);
int	cmd_replay(int argc, char **argv);

#endif /* UKTLS_CLI_H */
