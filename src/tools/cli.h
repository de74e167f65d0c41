/*
 * Commands of the uktls tool.  Each takes argv with its own name at
 * argv[0] and returns the exit status.
 */
#ifndef UKTLS_CLI_H
#define UKTLS_CLI_H

#define	UKTLS_VERSION	"0.1.0"

int	cli_wants_help(int argc, char **argv);
int	cmd_demo(int argc, char **argv);
int	cmd_replay(int argc, char **argv);

#endif /* UKTLS_CLI_H */
