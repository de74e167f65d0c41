/*
 * ktls_test.c's two miscellaneous cases: KTLS on sockets that are not
 * connected.  ktls_sendto_baddst makes a send fail in the protocol after
 * the socket layer framed the data into records (the error path must
 * free them, once); ktls_listening_socket checks that a socket with a
 * session cannot listen and a listening one takes no session.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>

#include "fb_fixture.h"

/* What both cases enable: AES-128-GCM, TLS 1.3. */
static const struct fb_suite fb_gcm13 = {
	"aes128_gcm_1_3", CRYPTO_AES_NIST_GCM_16, 16, 0, TLS_MINOR_VER_THREE
};

static int
fb_tcp_socket(void)
{
	int s;

	s = uk_socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	ck_assert_msg(s >= 0, "socket: %s", strerror(errno));
	return (s);
}

/* A new session (fresh keys and sequence number) for each socket. */
static void
fb_misc_enable(struct fb_ctx *x)
{

	fb_build_enable(&x->rng, &fb_gcm13, fb_rand(&x->rng) >> 2, &x->keys);
}

/*
 * sendto() to the broadcast address on an unconnected socket with a
 * transmit session: TCP cannot send there (EACCES).
 */
static void
fb_sendto_baddst(struct fb_ctx *x)
{
	struct sockaddr_in dst;
	uint8_t buf[32];
	ssize_t n;
	int s;

	s = fb_tcp_socket();
	fb_misc_enable(x);
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &x->keys.en, sizeof(x->keys.en)), 0);

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	dst.sin_port = htons(12345);
	memset(buf, 0, sizeof(buf));
	errno = 0;
	n = uk_sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&dst,
	    sizeof(dst));
	/* Can't transmit to the broadcast address over TCP. */
	ck_assert_msg(n == -1 && errno == EACCES, "sendto: %zd (%s), wanted "
	    "EACCES", n, strerror(errno));
	ck_assert_int_eq(uk_close(s), 0);
}

/*
 * listen() on a socket with a transmit or a receive session: EINVAL.
 * On a listening socket: TCP_TXTLS_ENABLE ENOTCONN, TCP_RXTLS_ENABLE
 * EINVAL.
 */
static void
fb_listening_socket(struct fb_ctx *x)
{
	static const int opts[] = { TCP_TXTLS_ENABLE, TCP_RXTLS_ENABLE };
	struct sockaddr_in sin;
	size_t i;
	int s;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		s = fb_tcp_socket();
		fb_misc_enable(x);
		ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, opts[i],
		    &x->keys.en, sizeof(x->keys.en)), 0);
		errno = 0;
		ck_assert_int_eq(uk_listen(s, 1), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(uk_close(s), 0);
	}

	s = fb_tcp_socket();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(uk_bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(uk_listen(s, 1), 0);
	fb_misc_enable(x);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &x->keys.en, sizeof(x->keys.en)), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(s, IPPROTO_TCP, TCP_RXTLS_ENABLE,
	    &x->keys.en, sizeof(x->keys.en)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(s), 0);
}

void
fb_run_misc(struct fb_ctx *x)
{
	int conns, packets;

	switch (x->c->kind) {
	case FB_SENDTO_BADDST:
		fb_sendto_baddst(x);
		break;
	case FB_LISTENING:
		fb_listening_socket(x);
		break;
	default:
		ck_abort_msg("%s: not a misc case", x->c->name);
	}
	(void)uk_net_run();
	uk_net_counts(&packets, &conns);
	ck_assert_int_eq(packets, 0);
	ck_assert_int_eq(conns, 0);
}
