/*
 * log(9) and panic(9) output.  Messages go to stderr, one write per line
 * so that lines from worker threads do not interleave.  The level filter
 * comes from uk_set_verbose(), or else from the UKTLS_VERBOSE environment
 * variable: 0 errors only (the default), 1 adds warnings and information,
 * 2 adds debugging.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <uktls/uktls.h>

#include "host.h"

static atomic_int log_verbose = -1;	/* -1: not decided yet */

static int
log_verbosity(void)
{
	const char *s;
	int expected, v;

	v = atomic_load(&log_verbose);
	if (v >= 0)
		return (v);
	s = getenv("UKTLS_VERBOSE");
	v = s != NULL ? atoi(s) : 0;
	if (v < 0)
		v = 0;
	/* uk_set_verbose() from another thread wins over the variable. */
	expected = -1;
	if (!atomic_compare_exchange_strong(&log_verbose, &expected, v))
		v = expected;
	return (v);
}

void
uk_set_verbose(int level)
{

	atomic_store(&log_verbose, level < 0 ? 0 : level);
}

static int
log_enabled(int level)
{
	int v;

	v = log_verbosity();
	if (level <= KH_LOG_ERR)
		return (1);
	if (level <= KH_LOG_INFO)
		return (v >= 1);
	return (v >= 2);
}

static const char *
log_level_name(int level)
{

	if (level <= KH_LOG_ERR)
		return ("error");
	if (level == KH_LOG_WARNING)
		return ("warning");
	if (level <= KH_LOG_INFO)
		return ("info");
	return ("debug");
}

/* Format prefix and message into one line and write it at once. */
static void
log_write(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t len;
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix);
	if (n < 0)
		n = 0;
	len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(buf) - len ? (size_t)n :
		    sizeof(buf) - len - 1;
	/* Kernel messages usually end in a newline; add one if not. */
	if (len == 0 || buf[len - 1] != '\n') {
		if (len == sizeof(buf) - 1)
			len--;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	fputs(buf, stderr);
	fflush(stderr);
}

void
khost_vlog(int level, const char *fmt, va_list ap)
{
	char prefix[32];

	if (!log_enabled(level))
		return;
	snprintf(prefix, sizeof(prefix), "uktls: %s: ", log_level_name(level));
	log_write(prefix, fmt, ap);
}

void
khost_vpanic(const char *fmt, va_list ap)
{

	log_write("panic: ", fmt, ap);
	abort();
}

void
uk_host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vlog(level, fmt, ap);
	va_end(ap);
}

void
uk_host_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vpanic(fmt, ap);
	/* NOTREACHED */
}
