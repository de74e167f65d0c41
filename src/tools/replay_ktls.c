/*
 * uktls replay: the uktls datapath as a checker of captured records.
 *
 * Transmit (--mode sw).  What a TLS library does with KTLS: put the keys
 * of a direction into a socket with TCP_TXTLS_ENABLE, at the sequence
 * number of the next record, then write each record's content with one
 * sendmsg() whose TLS_SET_RECORD_TYPE control message gives the content
 * type.  The kernel frames and encrypts it; what it would put on the wire
 * is taken from the send buffer and must be the captured record, byte for
 * byte.  The random parts of a record (the GCM 1.2 explicit nonce, the
 * CBC 1.1+ explicit IV) are taken from the captured record and queued
 * with uk_test_ktls_push_explicit(), so only the datapath's own work is
 * compared.
 *
 * A session is opened lazily and kept while records follow in sequence.
 * When the sequence jumps (a record in between was not something KTLS
 * sends) the socket is closed and a new session starts at the new record
 * with the keys as they stand before it (for TLS 1.0 CBC, the IV chained
 * from the previous record).  Few sockets are open at once: the least
 * recently used is closed when more are needed.
 *
 * Receive.  The receive path (TCP_RXTLS_ENABLE, ktls_decrypt) does not
 * exist yet.  When it does, rx_segment() will append each captured
 * segment to a socket's receive buffer and rx_record() read the record
 * back with its TLS_GET_RECORD header; until then there is no receive
 * check and every record says so.
 */
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/ktls.h>
#include <uktls/socket.h>
#include <uktls/suites.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "replay.h"

#define	SW_MAXOPEN	32		/* sockets open at once */
#define	SW_SNDBUF	(256 << 10)
#define	SW_MAXOUT	(TLSM_HDR_LEN + TLSM_MAX_PLAINTEXT + 2048 + 512)

#define	RX_MISSING	"receive check: not available yet"

struct sw_dir {
	int		 s;		/* socket, or -1 */
	uint64_t	 next_seq;	/* the session's next record */
	unsigned	 epoch;
	uint64_t	 used;		/* for least-recently-used closing */
	struct sw_dir	*prev, *next;	/* open sockets */
};

static struct sw_dir *sw_open_head;
static int sw_nopen;
static uint64_t sw_clock;
static uint8_t sw_out[SW_MAXOUT];

static void
sw_close_socket(struct sw_dir *d)
{

	if (d->s < 0)
		return;
	uk_close(d->s);
	uk_run();
	d->s = -1;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		sw_open_head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
	sw_nopen--;
}

/* struct tls_enable from the model's key state, at seq. */
static void
sw_enable_of(const struct tlsm_state *st, uint64_t seq, struct tls_enable *en)
{
	int i;

	memset(en, 0, sizeof(*en));
	en->cipher_algorithm = st->cipher == TLSM_GCM ? CRYPTO_AES_NIST_GCM_16 :
	    st->cipher == TLSM_CHACHA ? CRYPTO_CHACHA20_POLY1305 :
	    CRYPTO_AES_CBC;
	en->auth_algorithm = st->mac == TLSM_MAC_SHA1 ? CRYPTO_SHA1_HMAC :
	    st->mac == TLSM_MAC_SHA256 ? CRYPTO_SHA2_256_HMAC :
	    st->mac == TLSM_MAC_SHA384 ? CRYPTO_SHA2_384_HMAC : 0;
	en->cipher_key = st->key;
	en->cipher_key_len = (int)st->key_len;
	en->iv = st->iv_len != 0 ? st->iv : NULL;
	en->iv_len = (int)st->iv_len;
	en->auth_key = st->mac_key_len != 0 ? st->mac_key : NULL;
	en->auth_key_len = (int)st->mac_key_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = (uint8_t)(st->version & 0xff);
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
}

static int
sw_open_socket(struct sw_dir *d, const struct rp_rec *r, char *msg,
    size_t msglen)
{
	struct tls_enable en;
	socklen_t optlen;
	int s, size, mode;

	sw_close_socket(d);
	if (sw_nopen >= SW_MAXOPEN) {
		struct sw_dir *o, *lru;

		lru = sw_open_head;
		for (o = sw_open_head; o != NULL; o = o->next)
			if (o->used < lru->used)
				lru = o;
		sw_close_socket(lru);
	}
	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) {
		snprintf(msg, msglen, "uk_socket: %s", strerror(errno));
		return (-1);
	}
	size = SW_SNDBUF;
	if (uk_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)) != 0) {
		snprintf(msg, msglen, "SO_SNDBUF: %s", strerror(errno));
		uk_close(s);
		return (-1);
	}
	sw_enable_of(r->st, r->seq, &en);
	if (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE, &en,
	    sizeof(en)) != 0) {
		snprintf(msg, msglen, "TCP_TXTLS_ENABLE (%s, seq %llu): %s",
		    r->suite != NULL ? r->suite->name : "?",
		    (unsigned long long)r->seq, strerror(errno));
		uk_close(s);
		return (-1);
	}
	optlen = sizeof(mode);
	if (uk_getsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    &optlen) != 0 || mode != TCP_TLS_MODE_SW) {
		snprintf(msg, msglen, "TCP_TXTLS_MODE is not sw");
		uk_close(s);
		return (-1);
	}
	d->s = s;
	d->next_seq = r->seq;
	d->epoch = r->epoch;
	d->next = sw_open_head;
	if (sw_open_head != NULL)
		sw_open_head->prev = d;
	sw_open_head = d;
	sw_nopen++;
	return (0);
}

static void *
sw_dir_open(const struct rp_handoff *h)
{
	struct sw_dir *d;

	(void)h;
	d = calloc(1, sizeof(*d));
	if (d != NULL)
		d->s = -1;
	return (d);
}

static void
sw_dir_close(void *dctx)
{
	struct sw_dir *d = dctx;

	sw_close_socket(d);
	free(d);
}

/* One record through sendmsg(TLS_SET_RECORD_TYPE); compare the output. */
static enum rp_verdict
sw_tx_record(void *dctx, const struct rp_rec *r, char *msg, size_t msglen)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cm;
	struct sw_dir *d = dctx;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	size_t got, i;
	ssize_t n;

	if (d->s < 0 || d->next_seq != r->seq || d->epoch != r->epoch) {
		if (sw_open_socket(d, r, msg, msglen) != 0)
			return (RP_FAIL);
	}
	d->used = ++sw_clock;
	uk_test_ktls_reset();
	if (r->explicit_len != 0 &&
	    uk_test_ktls_push_explicit(r->explicit_iv, r->explicit_len) != 0) {
		snprintf(msg, msglen, "uk_test_ktls_push_explicit: %s",
		    strerror(errno));
		sw_close_socket(d);
		return (RP_FAIL);
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)r->plain;
	iov.iov_len = r->plain_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_TCP;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = r->type;
	n = uk_sendmsg(d->s, &mh, 0);
	if (n != (ssize_t)r->plain_len) {
		snprintf(msg, msglen, "uk_sendmsg of %zu bytes, type %u: %s",
		    r->plain_len, r->type, n < 0 ? strerror(errno) :
		    "short count");
		sw_close_socket(d);
		return (RP_FAIL);
	}
	d->next_seq = r->seq + 1;
	if (uk_test_sndbuf_wait(d->s) != 0) {
		snprintf(msg, msglen, "the record was not encrypted: %s",
		    strerror(errno));
		sw_close_socket(d);
		return (RP_FAIL);
	}
	got = 0;
	while (got < sizeof(sw_out) &&
	    (n = uk_test_sndbuf_take(d->s, sw_out + got,
	    sizeof(sw_out) - got)) > 0)
		got += (size_t)n;
	uk_test_ktls_reset();
	if (got != r->wire_len || memcmp(sw_out, r->wire, got) != 0) {
		for (i = 0; i < got && i < r->wire_len &&
		    sw_out[i] == r->wire[i]; i++)
			;
		snprintf(msg, msglen, "%zu bytes out for a %zu-byte record, "
		    "different from byte %zu", got, r->wire_len, i);
		return (RP_FAIL);
	}
	return (RP_PASS);
}

/* After every connection: the datapath must hold nothing any more. */
static int
sw_finish(char *msg, size_t msglen)
{
	struct uk_counters cnt;

	while (sw_open_head != NULL)
		sw_close_socket(sw_open_head);
	uk_run();
	uk_counters(&cnt);
	if (cnt.mbufs != 0 || cnt.clusters != 0 || cnt.pages != 0 ||
	    cnt.sessions != 0) {
		snprintf(msg, msglen, "left behind %lld mbufs, %lld clusters, "
		    "%lld pages, %lld sessions", (long long)cnt.mbufs,
		    (long long)cnt.clusters, (long long)cnt.pages,
		    (long long)cnt.sessions);
		return (1);
	}
	return (0);
}

static const struct replay_backend sw_backend = {
	.name = "sw",
	.rx_missing = RX_MISSING,
	.tx_missing = NULL,
	.dir_open = sw_dir_open,
	.dir_close = sw_dir_close,
	.rx_segment = NULL,		/* the receive path: not there yet */
	.rx_record = NULL,
	.tx_record = sw_tx_record,
	.finish = sw_finish,
};

const struct replay_backend *
replay_backend_find(const char *mode, const char **why)
{

	*why = NULL;
	if (strcmp(mode, "sw") == 0)
		return (&sw_backend);
	if (strcmp(mode, "ifnet") == 0)
		*why = "not available: the simulated IFNET TLS NIC does not "
		    "exist yet";
	else if (strcmp(mode, "toe") == 0)
		*why = "not available: the simulated TOE device does not "
		    "exist yet";
	else
		*why = "unknown mode (sw, ifnet, toe)";
	return (NULL);
}
