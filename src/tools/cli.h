/*
 * Commands of the uktls tool.  Each takes argv with its own name at
 * argv[0] and returns the exit status.
 */
#ifndef UKTLS_CLI_H
#define UKTLS_CLI_H

#include <stdint.h>

#define	UKTLS_VERSION	"0.1.0"

int	cli_wants_help(int argc, char **argv);
/* A count with an optional k or m suffix; 0, or -1 if malformed. */
int	cli_parse_size(const char *s, uint64_t *out);
int	cmd_bench(int argc, char **argv);
int	cmd_demo(int argc, char **argv);
int	cmd_explain(int argc, char **argv);
int	cmd_replay(int argc, char **argv);

#endif /* UKTLS_CLI_H */
