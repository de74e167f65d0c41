/*
 * uktls: the command-line tool.
 *
 *   uktls bench     speed and memory of KTLS against raw OpenSSL
 *   uktls demo      run the main scenario and print what happened
 *   uktls explain   a narrated run for teaching
 *   uktls suites    list the suites by name
 *   uktls version   print the version
 *
 * Each command has its own --help.  Errors are reported err(3)-style on
 * stderr with a non-zero exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "cli.h"

static int	cmd_suites(int argc, char **argv);
static int	cmd_version(int argc, char **argv);
static int	cmd_help(int argc, char **argv);

static const struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
} commands[] = {
	{ "bench", cmd_bench, "speed and memory of KTLS against raw OpenSSL" },
	{ "demo", cmd_demo, "run KTLS end to end and print what happened" },
	{ "explain", cmd_explain, "a narrated run: the socket buffers, step "
	    "by step" },
	{ "replay", cmd_replay, "check a capture's TLS records through uktls" },
	{ "suites", cmd_suites, "list the cipher suites by name" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "show this help" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: uktls <command> [options]\n"
	    "\n"
	    "FreeBSD's kernel TLS datapath in a process.\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\n'uktls <command> --help' describes a command.\n");
}

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (1);
	return (0);
}

int
cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || s[0] == '-')
		return (-1);
	if (*end == 'k' || *end == 'K') {
		v *= 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v *= 1024 * 1024;
		end++;
	}
	if (*end != '\0')
		return (-1);
	*out = v;
	return (0);
}

void
cli_tls_enable(const struct uk_suite *su, const uint8_t *key,
    const uint8_t *iv, const uint8_t *mkey, uint64_t seq,
    struct tls_enable *en)
{
	int i;

	memset(en, 0, sizeof(*en));
	en->cipher_algorithm = su->cipher_algorithm;
	en->cipher_key = key;
	en->cipher_key_len = su->cipher_key_len;
	en->iv = iv;
	en->iv_len = su->iv_len;
	en->auth_algorithm = su->auth_algorithm;
	en->auth_key = su->auth_key_len != 0 ? mkey : NULL;
	en->auth_key_len = su->auth_key_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = su->tls_vminor;
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
}

int
cli_parse_workers(const char *cmd, const char *arg, int *workers)
{
	uint64_t v;

	if (cli_parse_size(arg, &v) != 0 || v > 64) {
		fprintf(stderr, "uktls %s: bad --workers '%s' (0..64)\n", cmd,
		    arg);
		return (-1);
	}
	*workers = (int)v;
	return (0);
}

const struct uk_suite *
cli_suite(const char *cmd, const char *name)
{
	const struct uk_suite *s;

	s = uk_suite_by_name(name);
	if (s == NULL)
		fprintf(stderr, "uktls %s: unknown suite '%s' (see 'uktls "
		    "suites')\n", cmd, name);
	return (s);
}

int
cli_bad_option(const char *cmd, char **argv, void (*cmd_usage)(FILE *))
{

	fprintf(stderr, "uktls %s: unknown option or missing value: '%s'\n",
	    cmd, argv[optind - 1]);
	cmd_usage(stderr);
	return (2);
}

int
cli_extra_args(const char *cmd, int argc, char **argv)
{

	if (optind >= argc)
		return (0);
	fprintf(stderr, "uktls %s: unexpected argument '%s'\n", cmd,
	    argv[optind]);
	return (2);
}

static int
cmd_help(int argc, char **argv)
{

	(void)argc;
	(void)argv;
	usage(stdout);
	return (0);
}

static int
cmd_version(int argc, char **argv)
{

	if (cli_wants_help(argc, argv)) {
		printf("usage: uktls version\n");
		return (0);
	}
	if (argc > 1) {
		fprintf(stderr, "uktls version: unexpected argument '%s'\n",
		    argv[1]);
		return (2);
	}
	printf("uktls %s\n", UKTLS_VERSION);
	return (0);
}

static int
cmd_suites(int argc, char **argv)
{
	const struct uk_suite *s;
	size_t i;

	if (cli_wants_help(argc, argv)) {
		printf("usage: uktls suites\n\n"
		    "List the 16 suites FreeBSD KTLS supports: name, TLS "
		    "version, and whether\nFreeBSD can receive them (TLS 1.0 "
		    "is transmit only).\n");
		return (0);
	}
	if (argc > 1) {
		fprintf(stderr, "uktls suites: unexpected argument '%s'\n",
		    argv[1]);
		return (2);
	}
	printf("%-24s %-7s %s\n", "SUITE", "VERSION", "DIRECTIONS");
	for (i = 0; i < uk_nsuites(); i++) {
		s = uk_suite_at(i);
		printf("%-24s %-7s %s\n", s->name, uk_suite_version(s),
		    s->rx ? "tx rx" : "tx");
	}
	return (0);
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return (0);
	}
	if (strcmp(argv[1], "--version") == 0)
		return (cmd_version(1, argv));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return (commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "uktls: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return (2);
}
