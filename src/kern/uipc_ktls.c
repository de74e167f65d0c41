/*-
 * Kernel TLS: sessions, framing and the software transmit path.
 *
 * Design note.  KTLS sits between the socket layer and the protocol.  On
 * transmit, sosend() copies the application's bytes into unmapped
 * (M_EXTPG) mbufs, one per TLS record, and calls ktls_frame() on the
 * chain: each record mbuf gets its header, explicit nonce or IV and room
 * for its trailer, and takes a reference on the session.  In software
 * mode the records are then appended to the send buffer not ready
 * (PRUS_NOTREADY); sbappendstream() numbers them (ktls_seq()), and
 * ktls_enqueue() hands the batch to a worker queue.  The worker encrypts
 * each record in place (anonymous pages from write) or into new pages
 * (page-cache pages from sendfile, which must keep their plaintext), drops
 * the record's session reference and calls the protocol's pr_ready(),
 * which marks the data ready (sbready()) and lets TCP send it.  Because
 * sbready() never makes data available past the first not-ready mbuf,
 * bytes after a record still being encrypted are never sent before it.
 *
 * TLS 1.0 CBC chains its IV from one record to the next, so its records
 * must be encrypted in sequence order.  Batches that arrive early (for
 * example when sendfile I/O completes out of order) wait on the
 * session's pending_records list, sorted by sequence number, until the
 * batch before them has been queued.
 *
 * Workers: one queue per session hash bucket.  A queue is a list of
 * batches plus one khost_work item that is scheduled at most once at a
 * time; it drains the list and goes idle when it finds the list empty.
 * The host runs the work on its run loop (deterministic) or on threads.
 * All batches of a session go to the same queue, so they are encrypted
 * one at a time, in the order they were queued.
 *
 * Receive.  setsockopt(TCP_RXTLS_ENABLE) installs a receive session and
 * moves whatever is already queued on so_rcv to sb_mtls, not ready.  From
 * then on TCP's data goes there too (sbappend_ktls_rx()), and
 * ktls_check_rx() queues the socket to a worker (SB_TLS_RX_RUNNING) once
 * a whole record is there, or a header that cannot be right.  The worker
 * (ktls_decrypt()) checks each header, detaches exactly one record
 * (ktls_detach_record(), splitting an mbuf if the record ends inside
 * one), counts its bytes in sb_tlsdcc, drops the lock and decrypts the
 * record in place over the record's own mbufs.  When it relocks, a zero
 * sb_tlsdcc means that sbcut/sbdrop/sbflush (a read past the end,
 * shutdown, close) discarded the record meanwhile: the result is thrown
 * away and the worker stops.  Otherwise the record goes to sb_mb as one
 * record: a TLS_GET_RECORD control mbuf, then the plaintext, M_EOR on
 * its last mbuf.  A bad header (version, TLS 1.3 outer type, length)
 * means the stream is out of step: the connection is dropped with EINVAL
 * or EMSGSIZE.  A record that fails authentication is dropped alone
 * (so_error EBADMSG, or EMSGSIZE for an impossible length) and later
 * records are still delivered.
 *
 * Failure.  If a record does not encrypt, the connection is dropped with
 * EIO (ktls_drop()): the protocol flushes its buffers, which only unlinks
 * records still not ready, and the worker frees its batch.  Batches still
 * queued find the connection gone when they are done (pr_ready frees
 * them).  A record freed before it was encrypted still holds a session
 * reference; mbuf free hands it to ktls_mbuf_free(), which drops the
 * reference and, if it was the last, destroys the session on a worker.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/mbuf.h"
#include "sys/sockbuf.h"
#include "sys/socket.h"
#include "sys/socketvar.h"
#include "sys/ktls.h"
#include "sys/testhooks.h"
#include "dev/ktls_nic.h"

MALLOC_DEFINE(M_KTLS, "ktls", "Kernel TLS");

int ktls_enable = 1;
int ktls_cbc_enable = 1;
int ktls_ifnet_permitted = 1;		/* FreeBSD's default */

#define	KTLS_NWQ	4

struct ktls_wq {
	struct mtx		mtx;
	STAILQ_HEAD(, mbuf)	m_head;		/* batches to encrypt */
	STAILQ_HEAD(, socket)	so_head;	/* sockets to decrypt for */
	bool			running;	/* work item scheduled */
	struct khost_work	work;
};

static struct ktls_wq ktls_wq[KTLS_NWQ];
static volatile int ktls_inited;
static volatile u_int ktls_wq_next;

/* Statistics (kern.ipc.tls.stats). */
static struct ktls_stats ktls_st;

#define	KTLS_STAT_ADD(field, v)	atomic_add_64(&ktls_st.field, (v))

static void	ktls_work(void *arg);
static void	ktls_encrypt(struct ktls_wq *wq, struct mbuf *top);
static void	ktls_mbuf_free(struct mbuf *m);
static void	ktls_decrypt(struct socket *so);
static int	ktls_try_ifnet(struct socket *so, struct ktls_session *tls,
		    bool force);

/*
 * Test hooks (sys/testhooks.h): explicit nonces/IVs to use instead of
 * FreeBSD's, and an encryption failure to inject.  Off unless a test
 * arms them.
 */
#define	KTLS_TEST_NEXPLICIT	64
static struct mtx ktls_test_mtx;
static uint8_t	ktls_test_explicit[KTLS_TEST_NEXPLICIT][AES_BLOCK_LEN];
static int	ktls_test_explicit_len[KTLS_TEST_NEXPLICIT];
static int	ktls_test_head;
static volatile int ktls_test_nexplicit;	/* queued */
static volatile int ktls_test_fail_nth;		/* 0: off */
static ktls_test_rx_hook_t *volatile ktls_test_rx_fn;	/* NULL: off */
static void	*ktls_test_rx_arg;

void
ktls_init(void)
{
	int expected, i;

	expected = 0;
	if (!__atomic_compare_exchange_n(&ktls_inited, &expected, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Someone else initializes; wait until done. */
		while (atomic_load_int(&ktls_inited) != 2)
			;
		return;
	}
	for (i = 0; i < KTLS_NWQ; i++) {
		mtx_init(&ktls_wq[i].mtx, "ktls_wq", NULL, MTX_DEF);
		STAILQ_INIT(&ktls_wq[i].m_head);
		STAILQ_INIT(&ktls_wq[i].so_head);
		ktls_wq[i].running = false;
		ktls_wq[i].work.kw_fn = ktls_work;
		ktls_wq[i].work.kw_arg = &ktls_wq[i];
	}
	mtx_init(&ktls_test_mtx, "ktls_test", NULL, MTX_DEF);
	/* mbuf free hands records still holding a session to us. */
	mb_ktls_free_hook = ktls_mbuf_free;
	atomic_store_int(&ktls_inited, 2);
}

void
ktls_stats(struct ktls_stats *st)
{
	int64_t *dst, *src;
	size_t i;

	dst = (int64_t *)st;
	src = (int64_t *)&ktls_st;
	for (i = 0; i < sizeof(*st) / sizeof(int64_t); i++)
		dst[i] = atomic_load_64(&src[i]);
	ktls_nic_stats(st);
}

static inline uint64_t
be64dec(const uint8_t *p)
{
	uint64_t v;
	int i;

	v = 0;
	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (v);
}

static inline void
be64enc(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static inline void
be16enc(uint8_t *p, uint16_t v)
{

	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Per-cipher gauge of active sessions, by direction. */
static void
ktls_gauge(struct ktls_session *tls, int delta)
{
	bool tx;

	tx = tls->direction == KTLS_TX;
	switch (tls->params.cipher_algorithm) {
	case CRYPTO_AES_NIST_GCM_16:
		if (tx)
			KTLS_STAT_ADD(tx_gcm, delta);
		else
			KTLS_STAT_ADD(rx_gcm, delta);
		break;
	case CRYPTO_AES_CBC:
		if (tx)
			KTLS_STAT_ADD(tx_cbc, delta);
		else
			KTLS_STAT_ADD(rx_cbc, delta);
		break;
	case CRYPTO_CHACHA20_POLY1305:
		if (tx)
			KTLS_STAT_ADD(tx_chacha, delta);
		else
			KTLS_STAT_ADD(rx_chacha, delta);
		break;
	}
	if (tls->mode == TCP_TLS_MODE_SW) {
		if (tx)
			KTLS_STAT_ADD(sw_tx, delta);
		else
			KTLS_STAT_ADD(sw_rx, delta);
	} else if (tls->mode == TCP_TLS_MODE_IFNET && tx)
		KTLS_STAT_ADD(ifnet_tx, delta);
}

/*
 * Check a struct tls_enable against FreeBSD's rules for each suite.
 * Returns 0 or EINVAL.
 */
static int
ktls_validate(const struct tls_enable *en)
{

	if (en->flags != 0)
		return (EINVAL);
	if (en->tls_vmajor != TLS_MAJOR_VER_ONE ||
	    en->tls_vminor < TLS_MINOR_VER_ZERO ||
	    en->tls_vminor > TLS_MINOR_VER_THREE)
		return (EINVAL);
	if (en->auth_key_len < 0 || en->auth_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	if (en->cipher_key_len < 0 || en->cipher_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	if (en->iv_len < 0 || en->iv_len > TLS_CBC_IMPLICIT_IV_LEN)
		return (EINVAL);
	if (en->cipher_key_len == 0 || en->cipher_key == NULL)
		return (EINVAL);
	if (en->iv_len != 0 && en->iv == NULL)
		return (EINVAL);

	switch (en->cipher_algorithm) {
	case CRYPTO_AES_NIST_GCM_16:
		/* An AEAD: no separate MAC. */
		if (en->auth_algorithm != 0 || en->auth_key_len != 0)
			return (EINVAL);
		if (en->cipher_key_len != 16 && en->cipher_key_len != 32)
			return (EINVAL);
		if (en->tls_vminor == TLS_MINOR_VER_TWO) {
			if (en->iv_len != TLS_AEAD_GCM_LEN)
				return (EINVAL);
		} else if (en->tls_vminor == TLS_MINOR_VER_THREE) {
			if (en->iv_len != TLS_1_3_GCM_IV_LEN)
				return (EINVAL);
		} else
			return (EINVAL);
		break;
	case CRYPTO_AES_CBC:
		switch (en->auth_algorithm) {
		case CRYPTO_SHA1_HMAC:
			break;
		case CRYPTO_SHA2_256_HMAC:
		case CRYPTO_SHA2_384_HMAC:
			/* SHA-2 MACs exist only in TLS 1.2 CBC suites. */
			if (en->tls_vminor != TLS_MINOR_VER_TWO)
				return (EINVAL);
			break;
		default:
			return (EINVAL);
		}
		if (en->auth_key_len == 0 || en->auth_key == NULL)
			return (EINVAL);
		if (en->cipher_key_len != 16 && en->cipher_key_len != 32)
			return (EINVAL);
		/* TLS 1.3 has no CBC suites. */
		if (en->tls_vminor == TLS_MINOR_VER_THREE)
			return (EINVAL);
		/* TLS 1.0 chains its IV: the first one must be given. */
		if (en->tls_vminor == TLS_MINOR_VER_ZERO &&
		    en->iv_len != TLS_CBC_IMPLICIT_IV_LEN)
			return (EINVAL);
		break;
	case CRYPTO_CHACHA20_POLY1305:
		if (en->auth_algorithm != 0 || en->auth_key_len != 0)
			return (EINVAL);
		if (en->tls_vminor != TLS_MINOR_VER_TWO &&
		    en->tls_vminor != TLS_MINOR_VER_THREE)
			return (EINVAL);
		if (en->iv_len != TLS_CHACHA20_IV_LEN)
			return (EINVAL);
		if (en->cipher_key_len != 32)
			return (EINVAL);
		break;
	default:
		return (EINVAL);
	}
	return (0);
}

static int
ktls_mac_len(int auth_algorithm)
{

	switch (auth_algorithm) {
	case CRYPTO_SHA1_HMAC:
		return (SHA1_HASH_LEN);
	case CRYPTO_SHA2_256_HMAC:
		return (SHA2_256_HASH_LEN);
	case CRYPTO_SHA2_384_HMAC:
		return (SHA2_384_HASH_LEN);
	}
	return (0);
}

/* The session's keys as the crypto seam takes them (also the NIC's). */
void
ktls_session_keys(const struct ktls_session *tls, struct khost_tls_keys *keys)
{

	keys->cipher_algorithm = tls->params.cipher_algorithm;
	keys->auth_algorithm = tls->params.auth_algorithm;
	keys->cipher_key = tls->params.cipher_key;
	keys->cipher_key_len = tls->params.cipher_key_len;
	keys->auth_key = tls->params.auth_key;
	keys->auth_key_len = tls->params.auth_key_len;
	keys->iv = tls->params.iv;
	keys->iv_len = tls->params.iv_len;
	keys->tls_vmajor = tls->params.tls_vmajor;
	keys->tls_vminor = tls->params.tls_vminor;
}

/*
 * Build a session from a validated struct tls_enable: copy the keys in,
 * work out header and trailer sizes, and set up software crypto.
 */
int
ktls_create_session(struct socket *so, const struct tls_enable *en,
    struct ktls_session **tlsp, int direction)
{
	struct ktls_session *tls;
	struct khost_tls_keys keys;
	int error;

	error = ktls_validate(en);
	if (error != 0)
		return (error);

	tls = kmalloc(sizeof(*tls), M_KTLS, M_WAITOK | M_ZERO);
	refcount_init(&tls->refcount, 1);
	tls->direction = direction;
	tls->mode = TCP_TLS_MODE_NONE;
	tls->wq_index = atomic_fetchadd_int(&ktls_wq_next, 1) % KTLS_NWQ;
	mtx_init(&tls->mtx, "ktls_session", NULL, MTX_DEF);
	STAILQ_INIT(&tls->pending_records);

	tls->params.cipher_algorithm = en->cipher_algorithm;
	tls->params.auth_algorithm = en->auth_algorithm;
	tls->params.tls_vmajor = en->tls_vmajor;
	tls->params.tls_vminor = en->tls_vminor;
	tls->params.flags = en->flags;
	tls->params.max_frame_len = TLS_MAX_MSG_SIZE_V10_2;

	switch (en->cipher_algorithm) {
	case CRYPTO_AES_NIST_GCM_16:
		if (en->tls_vminor < TLS_MINOR_VER_THREE)
			tls->params.tls_hlen = sizeof(struct tls_record_layer) +
			    sizeof(uint64_t);
		else
			tls->params.tls_hlen = sizeof(struct tls_record_layer);
		tls->params.tls_tlen = AES_GMAC_HASH_LEN;
		tls->params.tls_bs = 1;
		break;
	case CRYPTO_AES_CBC:
		tls->params.tls_hlen = sizeof(struct tls_record_layer);
		if (en->tls_vminor != TLS_MINOR_VER_ZERO)
			tls->params.tls_hlen += AES_BLOCK_LEN;
		/* The MAC, then at most a block of padding. */
		tls->params.tls_tlen = AES_BLOCK_LEN +
		    ktls_mac_len(en->auth_algorithm);
		tls->params.tls_bs = AES_BLOCK_LEN;
		break;
	case CRYPTO_CHACHA20_POLY1305:
		tls->params.tls_hlen = sizeof(struct tls_record_layer);
		tls->params.tls_tlen = POLY1305_HASH_LEN;
		tls->params.tls_bs = 1;
		break;
	}
	/* TLS 1.3 hides the real record type at the end of the payload. */
	if (en->tls_vminor == TLS_MINOR_VER_THREE)
		tls->params.tls_tlen += sizeof(uint8_t);

	tls->params.cipher_key_len = en->cipher_key_len;
	tls->params.cipher_key = kmalloc(en->cipher_key_len, M_KTLS,
	    M_WAITOK);
	memcpy(tls->params.cipher_key, en->cipher_key, en->cipher_key_len);
	if (en->auth_key_len != 0) {
		tls->params.auth_key_len = en->auth_key_len;
		tls->params.auth_key = kmalloc(en->auth_key_len, M_KTLS,
		    M_WAITOK);
		memcpy(tls->params.auth_key, en->auth_key, en->auth_key_len);
	}
	/*
	 * TLS 1.1 and 1.2 CBC send a random explicit IV in every record;
	 * any IV given is ignored.
	 */
	if (!(en->cipher_algorithm == CRYPTO_AES_CBC &&
	    en->tls_vminor != TLS_MINOR_VER_ZERO) && en->iv_len != 0) {
		tls->params.iv_len = en->iv_len;
		memcpy(tls->params.iv, en->iv, en->iv_len);
	}
	/*
	 * TLS 1.2 GCM: the explicit nonce only has to be unique; like
	 * FreeBSD, start a counter at a random value.
	 */
	if (en->cipher_algorithm == CRYPTO_AES_NIST_GCM_16 &&
	    en->tls_vminor == TLS_MINOR_VER_TWO)
		khost_arc4rand(&tls->gcm_nonce, sizeof(tls->gcm_nonce));

	ktls_session_keys(tls, &keys);
	error = khost_crypto_create(&keys, direction, &tls->cipher);
	if (error != 0) {
		tls->cipher = NULL;
		ktls_destroy(tls);
		return (error);
	}
	tls->mode = TCP_TLS_MODE_SW;
	khost_counter_add(KC_SESSION, 1);
	KTLS_STAT_ADD(active, 1);
	KTLS_STAT_ADD(offload_total, 1);
	ktls_gauge(tls, 1);
	*tlsp = tls;
	return (0);
}

void
ktls_destroy(struct ktls_session *tls)
{

	KASSERT(tls->npending == 0, ("%s: %d records pending", __func__,
	    tls->npending));
	if (tls->mode != TCP_TLS_MODE_NONE) {
		khost_counter_add(KC_SESSION, -1);
		KTLS_STAT_ADD(active, -1);
		ktls_gauge(tls, -1);
	}
	if (tls->cipher != NULL)
		khost_crypto_destroy(tls->cipher);
	ktls_nic_snd_tag_free(tls->snd_tag);
	if (tls->params.cipher_key != NULL) {
		explicit_bzero(tls->params.cipher_key,
		    tls->params.cipher_key_len);
		kfree(tls->params.cipher_key, M_KTLS);
	}
	if (tls->params.auth_key != NULL) {
		explicit_bzero(tls->params.auth_key, tls->params.auth_key_len);
		kfree(tls->params.auth_key, M_KTLS);
	}
	mtx_destroy(&tls->mtx);
	explicit_bzero(tls, sizeof(*tls));
	kfree(tls, M_KTLS);
}

bool
ktls_permit_empty_frames(struct ktls_session *tls)
{

	/* TLS 1.0 CBC may send empty fragments (the BEAST countermeasure). */
	return (tls->params.cipher_algorithm == CRYPTO_AES_CBC &&
	    tls->params.tls_vminor == TLS_MINOR_VER_ZERO);
}

/*
 * TCP_TXTLS_ENABLE.  Checks in FreeBSD's order: KTLS enabled, a TCP
 * socket, not listening, no session yet (there is no rekeying), CBC
 * allowed; then the suite itself (ktls_create_session()).  The session
 * is installed with the send I/O lock held, so no sosend() is half-way
 * through when it appears.
 */
int
ktls_enable_tx(struct socket *so, const struct tls_enable *en)
{
	struct ktls_session *tls;
	bool busy;
	int error;

	ktls_init();
	if (!ktls_enable)
		return (ENOTSUP);
	KTLS_STAT_ADD(enable_calls, 1);
	if (so->so_proto->pr_protocol != IPPROTO_TCP)
		return (EINVAL);
	if (SOLISTENING(so))
		return (ENOTCONN);
	SOCKBUF_LOCK(&so->so_snd);
	busy = so->so_snd.sb_tls_info != NULL;
	SOCKBUF_UNLOCK(&so->so_snd);
	if (busy)
		return (EALREADY);
	if (en->cipher_algorithm == CRYPTO_AES_CBC && !ktls_cbc_enable)
		return (ENOTSUP);

	error = ktls_create_session(so, en, &tls, KTLS_TX);
	if (error != 0)
		return (error);
	/* TLS 1.0 encrypts in order, starting from the first record. */
	tls->next_seqno = be64dec(en->rec_seq);
	/* Prefer ifnet TLS, then software (there is no TOE). */
	(void)ktls_try_ifnet(so, tls, false);

	mtx_lock(&so->so_snd_sx);
	SOCKBUF_LOCK(&so->so_snd);
	if (so->so_snd.sb_tls_info != NULL) {
		/* Another thread's enable won. */
		SOCKBUF_UNLOCK(&so->so_snd);
		mtx_unlock(&so->so_snd_sx);
		ktls_free(tls);
		return (EALREADY);
	}
	so->so_snd.sb_tls_seqno = be64dec(en->rec_seq);
	so->so_snd.sb_tls_info = tls;
	SOCKBUF_UNLOCK(&so->so_snd);
	mtx_unlock(&so->so_snd_sx);
	return (0);
}

/*
 * Move what TCP queued on so_rcv before the session existed to sb_mtls,
 * not ready: it is the start of the encrypted stream (FreeBSD's
 * sb_mark_notready()).
 */
static void
ktls_rx_mark_notready(struct sockbuf *sb)
{
	struct mbuf *m;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(sb->sb_mtls == NULL && sb->sb_fnrdy == NULL,
	    ("%s: sb %p already has TLS or not-ready data", __func__, sb));
	m = sb->sb_mb;
	sb->sb_mtls = m;
	sb->sb_mb = NULL;
	sb->sb_mbtail = NULL;
	sb->sb_lastrecord = NULL;
	for (; m != NULL; m = m->m_next) {
		KASSERT(m->m_nextpkt == NULL && m->m_type == MT_DATA,
		    ("%s: mbuf %p is not stream data", __func__, m));
		KASSERT((m->m_flags & M_NOTAVAIL) == 0,
		    ("%s: mbuf %p not available", __func__, m));
		m->m_flags |= M_NOTREADY;
		sb->sb_acc -= m->m_len;
		sb->sb_tlscc += m->m_len;
		sb->sb_mtlstail = m;
	}
	KASSERT(sb->sb_acc == 0 && sb->sb_tlscc == sb->sb_ccc,
	    ("%s: acc %u tlscc %u ccc %u", __func__, sb->sb_acc, sb->sb_tlscc,
	    sb->sb_ccc));
}

/*
 * TCP_RXTLS_ENABLE.  FreeBSD's checks in FreeBSD's order: KTLS enabled, a
 * TCP socket, no receive session yet, CBC allowed, the suite
 * (ktls_create_session()), a software backend that can receive it (not
 * TLS 1.0: EPROTONOSUPPORT), not listening.  Data already received
 * becomes the beginning of the encrypted stream and is framed at once.
 */
int
ktls_enable_rx(struct socket *so, const struct tls_enable *en)
{
	struct ktls_session *tls;
	bool busy, listening;
	int error;

	ktls_init();
	if (!ktls_enable)
		return (ENOTSUP);
	KTLS_STAT_ADD(enable_calls, 1);
	if (so->so_proto->pr_protocol != IPPROTO_TCP)
		return (EINVAL);
	SOCKBUF_LOCK(&so->so_rcv);
	busy = so->so_rcv.sb_tls_info != NULL;
	SOCKBUF_UNLOCK(&so->so_rcv);
	if (busy)
		return (EALREADY);
	if (en->cipher_algorithm == CRYPTO_AES_CBC && !ktls_cbc_enable)
		return (ENOTSUP);
	/*
	 * ktls_ocf_try(): software KTLS does not receive TLS 1.0 (its IV
	 * chains across records).  Checked after the suite rules, so that
	 * a bad TLS 1.0 suite is still EINVAL.
	 */
	if (en->cipher_algorithm == CRYPTO_AES_CBC &&
	    en->tls_vminor == TLS_MINOR_VER_ZERO) {
		error = ktls_validate(en);
		return (error != 0 ? error : EPROTONOSUPPORT);
	}

	error = ktls_create_session(so, en, &tls, KTLS_RX);
	if (error != 0)
		return (error);

	SOCK_LOCK(so);
	listening = SOLISTENING(so);
	SOCK_UNLOCK(so);
	if (listening) {
		ktls_free(tls);
		return (EINVAL);
	}
	SOCKBUF_LOCK(&so->so_rcv);
	if (so->so_rcv.sb_tls_info != NULL) {
		/* Another thread's enable won. */
		SOCKBUF_UNLOCK(&so->so_rcv);
		ktls_free(tls);
		return (EALREADY);
	}
	so->so_rcv.sb_tls_seqno = be64dec(en->rec_seq);
	so->so_rcv.sb_tls_info = tls;
	so->so_rcv.sb_flags |= SB_TLS_RX;
	ktls_rx_mark_notready(&so->so_rcv);
	ktls_check_rx(&so->so_rcv);
#ifdef INVARIANTS
	SBCHECK(&so->so_rcv);
#endif
	SOCKBUF_UNLOCK(&so->so_rcv);
	return (0);
}

/*
 * Move a session to ifnet mode: a send tag from the interface the
 * connection is routed over (FreeBSD's ktls_try_ifnet() and
 * ktls_alloc_snd_tag()).  kern.ipc.tls.ifnet.permitted == 0 denies it
 * unless forced (TCP_TXTLS_MODE forces).  On failure the session is left
 * as it was, in software mode.
 */
static int
ktls_try_ifnet(struct socket *so, struct ktls_session *tls, bool force)
{
	struct ktls_nic_tag *tag;
	int error;

	KASSERT(tls->mode == TCP_TLS_MODE_SW && tls->direction == KTLS_TX,
	    ("%s: mode %d", __func__, tls->mode));
	if (!force && atomic_load_int(&ktls_ifnet_permitted) == 0)
		return (ENXIO);
	error = ktls_nic_snd_tag_alloc(so, tls, &tag);
	if (error != 0)
		return (error);
	ktls_gauge(tls, -1);
	tls->snd_tag = tag;
	tls->mode = TCP_TLS_MODE_IFNET;
	ktls_gauge(tls, 1);
	return (0);
}

/*
 * A new transmit session with the keys of tls (FreeBSD's
 * ktls_clone_session()), in software mode; the TLS 1.2 GCM nonce counter
 * carries on where tls has got to.
 */
static int
ktls_clone_session(struct socket *so, struct ktls_session *tls,
    struct ktls_session **tlsp)
{
	struct ktls_session *tls_new;
	struct tls_enable en;
	int error;

	memset(&en, 0, sizeof(en));
	en.cipher_algorithm = tls->params.cipher_algorithm;
	en.auth_algorithm = tls->params.auth_algorithm;
	en.cipher_key = tls->params.cipher_key;
	en.cipher_key_len = tls->params.cipher_key_len;
	en.auth_key = tls->params.auth_key;
	en.auth_key_len = tls->params.auth_key_len;
	en.iv = tls->params.iv_len != 0 ? tls->params.iv : NULL;
	en.iv_len = tls->params.iv_len;
	en.tls_vmajor = tls->params.tls_vmajor;
	en.tls_vminor = tls->params.tls_vminor;
	error = ktls_create_session(so, &en, &tls_new, KTLS_TX);
	if (error != 0)
		return (error);
	/* A clone is not a new offload (offload_total counts enables). */
	KTLS_STAT_ADD(offload_total, -1);
	tls_new->gcm_nonce = atomic_load_64(&tls->gcm_nonce);
	*tlsp = tls_new;
	return (0);
}

int
ktls_get_tx_mode(struct socket *so, int *modep)
{
	struct ktls_session *tls;

	if (SOLISTENING(so))
		return (EINVAL);
	SOCKBUF_LOCK(&so->so_snd);
	tls = so->so_snd.sb_tls_info;
	*modep = tls == NULL ? TCP_TLS_MODE_NONE : tls->mode;
	SOCKBUF_UNLOCK(&so->so_snd);
	return (0);
}

int
ktls_get_rx_mode(struct socket *so, int *modep)
{
	struct ktls_session *tls;

	if (SOLISTENING(so))
		return (EINVAL);
	SOCKBUF_LOCK(&so->so_rcv);
	tls = so->so_rcv.sb_tls_info;
	*modep = tls == NULL ? TCP_TLS_MODE_NONE : tls->mode;
	SOCKBUF_UNLOCK(&so->so_rcv);
	return (0);
}

/*
 * TCP_TXTLS_MODE: switch a live transmit session between software and
 * ifnet (FreeBSD's ktls_set_tx_mode()).  Asking for the mode in use, or
 * any mode with no session, succeeds and changes nothing.  A switch
 * makes a new session with the same keys in the new mode and swaps it
 * in with the send I/O lock held, so that no sosend() or sendfile() is
 * half-way through a batch of records.  Records already in the send
 * buffer keep the session they were framed with: software records are
 * still encrypted by the workers, ifnet records by the NIC, on every
 * (re)transmission, until they are acknowledged.  The sequence numbers
 * simply go on (sb_tls_seqno belongs to the buffer).
 */
int
ktls_set_tx_mode(struct socket *so, int mode)
{
	struct ktls_session *tls, *tls_new;
	int error;

	if (SOLISTENING(so))
		return (EINVAL);
	if (mode != TCP_TLS_MODE_SW && mode != TCP_TLS_MODE_IFNET)
		return (EINVAL);
	SOCKBUF_LOCK(&so->so_snd);
	tls = so->so_snd.sb_tls_info;
	if (tls == NULL || tls->mode == mode) {
		SOCKBUF_UNLOCK(&so->so_snd);
		return (0);
	}
	tls = ktls_hold(tls);
	SOCKBUF_UNLOCK(&so->so_snd);

	error = ktls_clone_session(so, tls, &tls_new);
	if (error == 0 && mode == TCP_TLS_MODE_IFNET) {
		error = ktls_try_ifnet(so, tls_new, true);
		if (error != 0)
			ktls_free(tls_new);
	}
	if (error != 0) {
		KTLS_STAT_ADD(switch_failed, 1);
		ktls_free(tls);
		return (error);
	}

	mtx_lock(&so->so_snd_sx);
	SOCKBUF_LOCK(&so->so_snd);
	if (so->so_snd.sb_tls_info != tls) {
		/* Another switch won. */
		SOCKBUF_UNLOCK(&so->so_snd);
		mtx_unlock(&so->so_snd_sx);
		KTLS_STAT_ADD(switch_failed, 1);
		ktls_free(tls_new);
		ktls_free(tls);
		return (EBUSY);
	}
	/* TLS 1.0 would encrypt in order from here (never ifnet, though). */
	tls_new->next_seqno = so->so_snd.sb_tls_seqno;
	so->so_snd.sb_tls_info = tls_new;
	SOCKBUF_UNLOCK(&so->so_snd);
	mtx_unlock(&so->so_snd_sx);

	/* Our hold, and the socket buffer's reference. */
	ktls_free(tls);
	ktls_free(tls);
	if (mode == TCP_TLS_MODE_IFNET)
		KTLS_STAT_ADD(switch_to_ifnet, 1);
	else
		KTLS_STAT_ADD(switch_to_sw, 1);
	return (0);
}

/*
 * Test hook: the next queued explicit nonce/IV of exactly len bytes, if
 * any.  One that does not fit this suite stays queued.
 */
static bool
ktls_test_take_explicit(uint8_t *dst, int len)
{
	bool taken;

	if (atomic_load_int(&ktls_test_nexplicit) == 0)
		return (false);
	taken = false;
	mtx_lock(&ktls_test_mtx);
	if (ktls_test_nexplicit != 0 &&
	    ktls_test_explicit_len[ktls_test_head] == len) {
		memcpy(dst, ktls_test_explicit[ktls_test_head], len);
		ktls_test_head = (ktls_test_head + 1) % KTLS_TEST_NEXPLICIT;
		atomic_subtract_int(&ktls_test_nexplicit, 1);
		taken = true;
	}
	mtx_unlock(&ktls_test_mtx);
	return (taken);
}

int
ktls_test_push_explicit(const uint8_t *p, int len)
{
	int error, slot;

	if (len != sizeof(uint64_t) && len != AES_BLOCK_LEN)
		return (EINVAL);
	ktls_init();
	error = 0;
	mtx_lock(&ktls_test_mtx);
	if (ktls_test_nexplicit == KTLS_TEST_NEXPLICIT)
		error = ENOSPC;
	else {
		slot = (ktls_test_head + ktls_test_nexplicit) %
		    KTLS_TEST_NEXPLICIT;
		memcpy(ktls_test_explicit[slot], p, len);
		ktls_test_explicit_len[slot] = len;
		atomic_add_int(&ktls_test_nexplicit, 1);
	}
	mtx_unlock(&ktls_test_mtx);
	return (error);
}

void
ktls_test_fail_encrypt(int nth)
{

	atomic_store_int(&ktls_test_fail_nth, nth > 0 ? nth : 0);
}

void
ktls_test_set_rx_hook(ktls_test_rx_hook_t *fn, void *arg)
{

	ktls_init();
	mtx_lock(&ktls_test_mtx);
	ktls_test_rx_arg = arg;
	__atomic_store_n(&ktls_test_rx_fn, fn, __ATOMIC_SEQ_CST);
	mtx_unlock(&ktls_test_mtx);
}

/* Test hook: let a test act while the worker holds a detached record. */
static void
ktls_test_rx_pause(int phase, uint64_t seqno)
{
	ktls_test_rx_hook_t *fn;
	void *arg;

	if (__atomic_load_n(&ktls_test_rx_fn, __ATOMIC_SEQ_CST) == NULL)
		return;
	mtx_lock(&ktls_test_mtx);
	fn = ktls_test_rx_fn;
	arg = ktls_test_rx_arg;
	mtx_unlock(&ktls_test_mtx);
	if (fn != NULL)
		fn(arg, phase, seqno);
}

void
ktls_test_reset(void)
{

	ktls_init();
	mtx_lock(&ktls_test_mtx);
	ktls_test_head = 0;
	atomic_store_int(&ktls_test_nexplicit, 0);
	ktls_test_rx_arg = NULL;
	__atomic_store_n(&ktls_test_rx_fn, NULL, __ATOMIC_SEQ_CST);
	mtx_unlock(&ktls_test_mtx);
	atomic_store_int(&ktls_test_fail_nth, 0);
}

/* Test hook: is this the encryption that must fail? */
static bool
ktls_test_should_fail(void)
{
	int n;

	n = atomic_load_int(&ktls_test_fail_nth);
	while (n > 0) {
		if (__atomic_compare_exchange_n(&ktls_test_fail_nth, &n, n - 1,
		    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return (n == 1);
	}
	return (false);
}

/*
 * Frame each record mbuf of a chain: header, explicit nonce or IV, room
 * for the trailer, and a session reference.  In software mode the record
 * is marked not ready until a worker has encrypted it; *enqcnt counts the
 * pages the worker will be handed.
 */
void
ktls_frame(struct mbuf *top, struct ktls_session *tls, int *enqcnt,
    uint8_t record_type)
{
	struct tls_record_layer *tlshdr;
	struct mbuf *m;
	uint64_t nonce;
	int tls_len, delta;

	*enqcnt = 0;
	for (m = top; m != NULL; m = m->m_next) {
		KASSERT((m->m_flags & M_EXTPG) != 0,
		    ("%s: mapped mbuf %p", __func__, m));
		tls_len = m->m_len;
		KASSERT(tls_len <= tls->params.max_frame_len,
		    ("%s: record of %d bytes", __func__, tls_len));
		KASSERT(m->m_epg_hdrlen == 0 && m->m_epg_trllen == 0,
		    ("%s: mbuf %p framed twice", __func__, m));

		m->m_epg_tls = ktls_hold(tls);
		m->m_epg_hdrlen = tls->params.tls_hlen;
		m->m_epg_trllen = tls->params.tls_tlen;
		if (tls->params.cipher_algorithm == CRYPTO_AES_CBC) {
			/*
			 * The trailer is sized for the MAC and a full block
			 * of padding; keep only the padding needed to reach
			 * a block boundary (1..16 bytes).
			 */
			delta = (tls_len + tls->params.tls_tlen) &
			    (tls->params.tls_bs - 1);
			m->m_epg_trllen -= delta;
		}
		m->m_len += m->m_epg_hdrlen + m->m_epg_trllen;

		tlshdr = (struct tls_record_layer *)(void *)m->m_epg_hdr;
		tlshdr->tls_vmajor = tls->params.tls_vmajor;
		if (tls->params.tls_vminor == TLS_MINOR_VER_THREE) {
			/* The outer record claims TLS 1.2 application data. */
			tlshdr->tls_vminor = TLS_MINOR_VER_TWO;
			tlshdr->tls_type = TLS_RLTYPE_APP;
		} else {
			tlshdr->tls_vminor = tls->params.tls_vminor;
			tlshdr->tls_type = record_type;
		}
		m->m_epg_record_type = record_type;
		be16enc((uint8_t *)&tlshdr->tls_length,
		    m->m_len - sizeof(*tlshdr));

		if (tls->params.cipher_algorithm == CRYPTO_AES_NIST_GCM_16 &&
		    tls->params.tls_vminor == TLS_MINOR_VER_TWO) {
			nonce = atomic_fetchadd_64(&tls->gcm_nonce, 1);
			if (!ktls_test_take_explicit((uint8_t *)(tlshdr + 1),
			    sizeof(nonce)))
				be64enc((uint8_t *)(tlshdr + 1), nonce);
		} else if (tls->params.cipher_algorithm == CRYPTO_AES_CBC &&
		    tls->params.tls_vminor >= TLS_MINOR_VER_ONE) {
			if (!ktls_test_take_explicit((uint8_t *)(tlshdr + 1),
			    AES_BLOCK_LEN))
				khost_arc4rand(tlshdr + 1, AES_BLOCK_LEN);
		}

		if (tls->mode == TCP_TLS_MODE_SW) {
			m->m_flags |= M_NOTREADY;
			/* An empty TLS 1.0 record still needs one unit. */
			if (m->m_epg_npgs == 0)
				m->m_epg_nrdy = 1;
			else
				m->m_epg_nrdy = m->m_epg_npgs;
			*enqcnt += m->m_epg_nrdy;
		}
	}
}

/* Number the records of a chain being appended to a send buffer. */
void
ktls_seq(struct sockbuf *sb, struct mbuf *m)
{

	for (; m != NULL; m = m->m_next) {
		KASSERT((m->m_flags & M_EXTPG) != 0,
		    ("%s: mapped mbuf %p", __func__, m));
		m->m_epg_seqno = sb->sb_tls_seqno++;
	}
}

/*
 * Records in a batch of page_count units starting at m.  The last
 * record's m_next is not read: the socket buffer may be appending after
 * it under its own lock.
 */
static int
ktls_batch_records(struct mbuf *m, int page_count)
{
	int n, units;

	for (n = 1, units = 0;; n++) {
		KASSERT(m != NULL, ("%s: short batch", __func__));
		units += m->m_epg_nrdy;
		if (units >= page_count)
			break;
		m = m->m_next;
	}
	return (n);
}

/*
 * Called with the queue locked after adding work: drop the lock and make
 * sure the queue's work item is scheduled (at most once at a time).
 */
static void
ktls_wq_unlock_kick(struct ktls_wq *wq)
{
	bool schedule;

	schedule = !wq->running;
	wq->running = true;
	mtx_unlock(&wq->mtx);
	if (schedule)
		khost_work_enqueue(&wq->work);
}

static void
ktls_queue(struct ktls_wq *wq, struct mbuf *m)
{

	KTLS_STAT_ADD(sw_tx_inqueue, 1);
	mtx_lock(&wq->mtx);
	STAILQ_INSERT_TAIL(&wq->m_head, m, m_epg_stailq);
	ktls_wq_unlock_kick(wq);
}

/*
 * Hand a batch of not-ready records to a worker.  The caller has taken a
 * socket reference for the worker (soref()).
 */
void
ktls_enqueue(struct mbuf *m, struct socket *so, int page_count)
{
	struct ktls_session *tls;
	struct ktls_wq *wq;
	struct mbuf *n, *prev;

	KASSERT((m->m_flags & (M_EXTPG | M_NOTREADY)) ==
	    (M_EXTPG | M_NOTREADY), ("%s: not a not-ready record", __func__));
	KASSERT(page_count != 0, ("%s: empty batch", __func__));
	tls = m->m_epg_tls;
	KASSERT(tls->mode == TCP_TLS_MODE_SW, ("%s: not software", __func__));

	ktls_init();
	m->m_epg_enc_cnt = page_count;
	m->m_epg_so = so;
	wq = &ktls_wq[tls->wq_index];

	if (!(tls->params.cipher_algorithm == CRYPTO_AES_CBC &&
	    tls->params.tls_vminor == TLS_MINOR_VER_ZERO)) {
		ktls_queue(wq, m);
		return;
	}

	/*
	 * TLS 1.0: queue the batch only if it is next in sequence, then any
	 * pending batches that follow it; park it otherwise.
	 */
	mtx_lock(&tls->mtx);
	if (m->m_epg_seqno != tls->next_seqno) {
		KASSERT(m->m_epg_seqno > tls->next_seqno,
		    ("%s: record %ju queued twice", __func__,
		    (uintmax_t)m->m_epg_seqno));
		prev = NULL;
		STAILQ_FOREACH(n, &tls->pending_records, m_epg_stailq) {
			if (n->m_epg_seqno > m->m_epg_seqno)
				break;
			prev = n;
		}
		if (prev == NULL)
			STAILQ_INSERT_HEAD(&tls->pending_records, m,
			    m_epg_stailq);
		else
			STAILQ_INSERT_AFTER(&tls->pending_records, prev, m,
			    m_epg_stailq);
		tls->npending++;
		KTLS_STAT_ADD(sw_tx_pending, 1);
		mtx_unlock(&tls->mtx);
		return;
	}
	tls->next_seqno += ktls_batch_records(m, page_count);
	ktls_queue(wq, m);
	while ((n = STAILQ_FIRST(&tls->pending_records)) != NULL &&
	    n->m_epg_seqno == tls->next_seqno) {
		STAILQ_REMOVE_HEAD(&tls->pending_records, m_epg_stailq);
		tls->npending--;
		KTLS_STAT_ADD(sw_tx_pending, -1);
		tls->next_seqno += ktls_batch_records(n, n->m_epg_enc_cnt);
		ktls_queue(wq, n);
	}
	mtx_unlock(&tls->mtx);
}

static void
ktls_work(void *arg)
{
	struct ktls_wq *wq;
	struct socket *so;
	struct mbuf *m;

	wq = arg;
	for (;;) {
		mtx_lock(&wq->mtx);
		m = STAILQ_FIRST(&wq->m_head);
		if (m != NULL) {
			STAILQ_REMOVE_HEAD(&wq->m_head, m_epg_stailq);
			mtx_unlock(&wq->mtx);
			KTLS_STAT_ADD(sw_tx_inqueue, -1);
			ktls_encrypt(wq, m);
			continue;
		}
		so = STAILQ_FIRST(&wq->so_head);
		if (so != NULL) {
			STAILQ_REMOVE_HEAD(&wq->so_head, so_ktls_rx_list);
			mtx_unlock(&wq->mtx);
			KTLS_STAT_ADD(sw_rx_inqueue, -1);
			ktls_decrypt(so);
			continue;
		}
		wq->running = false;
		mtx_unlock(&wq->mtx);
		return;
	}
}

/*
 * Encrypt one record.  Anonymous pages are encrypted in place; pages that
 * belong to a file (sendfile) are encrypted into new pages that then
 * replace them, so the file's plaintext is never touched.
 */
static int
ktls_encrypt_record(struct ktls_session *tls, struct mbuf *m)
{
	struct khost_iov src[MBUF_PEXT_MAX_PGS], dst[MBUF_PEXT_MAX_PGS];
	vm_paddr_t newpa[MBUF_PEXT_MAX_PGS];
	int error, i, len, off, npgs;
	bool inplace;

	if (ktls_test_should_fail()) {
		KTLS_STAT_ADD(failed_crypto, 1);
		return (EIO);
	}
	npgs = m->m_epg_npgs;
	inplace = (m->m_epg_flags & EPG_FLAG_ANON) != 0;
	off = m->m_epg_1st_off;
	for (i = 0; i < npgs; i++) {
		len = m_epg_pagelen(m, i, off);
		src[i].iov_base = (char *)PHYS_TO_DMAP(m->m_epg_pa[i]) + off;
		src[i].iov_len = len;
		if (inplace) {
			dst[i] = src[i];
		} else {
			newpa[i] = khost_page_alloc(0);
			dst[i].iov_base = (char *)PHYS_TO_DMAP(newpa[i]) + off;
			dst[i].iov_len = len;
		}
		off = 0;
	}

	error = khost_crypto_encrypt(tls->cipher, (uint8_t *)m->m_epg_hdr,
	    m->m_epg_hdrlen, m->m_epg_seqno, m->m_epg_record_type,
	    src, npgs, dst, npgs, (uint8_t *)m->m_epg_trail,
	    m->m_epg_trllen);

	if (!inplace) {
		/* Swap in the ciphertext pages (or drop them on failure). */
		for (i = 0; i < npgs; i++) {
			if (error == 0) {
				khost_page_free(m->m_epg_pa[i]);
				m->m_epg_pa[i] = newpa[i];
			} else
				khost_page_free(newpa[i]);
		}
		if (error == 0)
			m->m_epg_flags |= EPG_FLAG_ANON;
	}
	if (error != 0) {
		KTLS_STAT_ADD(failed_crypto, 1);
		return (error);
	}
	KTLS_STAT_ADD(encrypt_records, 1);
	if (inplace)
		KTLS_STAT_ADD(inplace, 1);
	else
		KTLS_STAT_ADD(separate_output, 1);
	return (0);
}

/*
 * Drop the connection after a failure (FreeBSD's ktls_drop()): the
 * protocol aborts it, which flushes the socket buffers (records still
 * not ready are only unlinked), and the error is left for the
 * application.
 */
static void
ktls_drop(struct socket *so, int error)
{

	if (so->so_proto->pr_abort != NULL)
		so->so_proto->pr_abort(so);
	SOCKBUF_LOCK(&so->so_snd);
	so->so_error = error;
	SOCKBUF_UNLOCK(&so->so_snd);
}

/*
 * Encrypt a batch and make it ready.  On a crypto failure the connection
 * is dropped with EIO and the batch, no longer in any socket buffer, is
 * freed here (mb_free_notready()); records that still hold a session
 * reference give it back as they are freed (ktls_mbuf_free()).
 */
static void
ktls_encrypt(struct ktls_wq *wq __unused, struct mbuf *top)
{
	struct ktls_session *tls;
	struct socket *so;
	struct mbuf *m;
	int error, npages, total_pages;

	so = top->m_epg_so;
	tls = ktls_hold(top->m_epg_tls);
	total_pages = top->m_epg_enc_cnt;
	top->m_epg_so = NULL;
	error = 0;
	npages = 0;
	/*
	 * Only this batch's m_next links are followed: the socket buffer
	 * may be appending after its last record right now.
	 */
	for (m = top;; m = m->m_next) {
		KASSERT(m != NULL && m->m_epg_tls == tls,
		    ("%s: batch ends early or mixes sessions", __func__));
		KASSERT((m->m_flags & M_NOTREADY) != 0,
		    ("%s: record %p already ready", __func__, m));
		KASSERT(npages + m->m_epg_nrdy <= total_pages,
		    ("%s: %d pages past a batch of %d", __func__,
		    npages + m->m_epg_nrdy, total_pages));
		error = ktls_encrypt_record(tls, m);
		if (error != 0)
			break;
		npages += m->m_epg_nrdy;
		/*
		 * The record no longer needs the session: an encrypted
		 * record is one without m_epg_tls.
		 */
		m->m_epg_tls = NULL;
		ktls_free(tls);
		if (npages == total_pages)
			break;
	}

	if (error == 0)
		(void)so->so_proto->pr_ready(so, top, npages);
	else {
		ktls_drop(so, EIO);
		mb_free_notready(top, total_pages);
	}
	ktls_free(tls);
	sorele(so);
}

static void
ktls_destroy_work(void *arg)
{

	ktls_destroy(arg);
}

/*
 * mb_ktls_free_hook: a record freed before it was encrypted (the
 * connection went away) still holds a session reference.  Its pages are
 * already gone; drop the reference and free the mbuf.  If that was the
 * last reference the session is destroyed on a worker, as FreeBSD's
 * ktls_enqueue_to_free() does, not in the middle of whoever freed the
 * mbuf.
 */
static void
ktls_mbuf_free(struct mbuf *m)
{
	struct ktls_session *tls;

	tls = m->m_epg_tls;
	m->m_epg_tls = NULL;
	m_free_raw(m);
	if (refcount_release(&tls->refcount)) {
		tls->free_work.kw_fn = ktls_destroy_work;
		tls->free_work.kw_arg = tls;
		khost_work_enqueue(&tls->free_work);
	}
}

/* ---- receive ------------------------------------------------------------ */

/*
 * Copy the first len bytes of a chain: a record header and explicit
 * nonce/IV, which are not payload (and so not counted as payload copies).
 */
static void
ktls_rx_copyhdr(const struct mbuf *m, int len, uint8_t *buf)
{
	int n;

	for (; len > 0; m = m->m_next) {
		KASSERT(m != NULL, ("%s: chain shorter than %d", __func__,
		    len));
		KASSERT((m->m_flags & M_EXTPG) == 0,
		    ("%s: unmapped mbuf %p", __func__, m));
		n = MIN(m->m_len, len);
		memcpy(buf, mtod(m, const uint8_t *), n);
		buf += n;
		len -= n;
	}
}

/*
 * The header checks of ktls_decrypt(), on the 5-byte header alone: the
 * version on the wire (3,3 for TLS 1.3), TLS 1.3's outer type, and a
 * length between the header with its explicit nonce/IV and that plus
 * 2^14 plus the largest trailer.  *tls_lenp: header + length.
 */
static int
ktls_rx_check_header(const struct ktls_session *tls, const uint8_t *p,
    int *tls_lenp)
{
	const struct tls_record_layer *hdr;
	uint8_t vminor;
	int tls_len;

	hdr = (const struct tls_record_layer *)(const void *)p;
	tls_len = (int)sizeof(*hdr) + ((p[3] << 8) | p[4]);
	*tls_lenp = tls_len;
	if (tls->params.tls_vminor == TLS_MINOR_VER_THREE)
		vminor = TLS_MINOR_VER_TWO;
	else
		vminor = tls->params.tls_vminor;
	if (hdr->tls_vmajor != tls->params.tls_vmajor ||
	    hdr->tls_vminor != vminor)
		return (EINVAL);
	if (tls->params.tls_vminor == TLS_MINOR_VER_THREE &&
	    hdr->tls_type != TLS_RLTYPE_APP)
		return (EINVAL);
	if (tls_len < tls->params.tls_hlen || tls_len >
	    tls->params.tls_hlen + TLS_MAX_MSG_SIZE_V10_2 +
	    tls->params.tls_tlen)
		return (EMSGSIZE);
	return (0);
}

/* Set so_error from the receive side (so_snd's lock guards it). */
static void
ktls_rx_error(struct socket *so, int error)
{

	SOCKBUF_LOCK_ASSERT(&so->so_rcv);
	SOCK_SENDBUF_LOCK(so);
	so->so_error = error;
	SOCK_SENDBUF_UNLOCK(so);
}

static void
ktls_queue_rx(struct ktls_wq *wq, struct socket *so)
{

	KTLS_STAT_ADD(sw_rx_inqueue, 1);
	mtx_lock(&wq->mtx);
	STAILQ_INSERT_TAIL(&wq->so_head, so, so_ktls_rx_list);
	ktls_wq_unlock_kick(wq);
}

/*
 * Something arrived on sb_mtls (or the peer closed): if a whole record is
 * there, or a header that cannot be right, hand the socket to a worker.
 * If the peer has closed and only part of a record is left, it never
 * completes: EMSGSIZE.  Lock held.
 *
 * FreeBSD waits for the whole record before looking at a header; here a
 * bad header is acted on as soon as its 5 bytes are in, so that the error
 * does not depend on how the stream was cut into segments.
 */
void
ktls_check_rx(struct sockbuf *sb)
{
	uint8_t hdr[sizeof(struct tls_record_layer)];
	struct socket *so;
	int tls_len;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT((sb->sb_flags & SB_TLS_RX) != 0 && sb->sb_tls_info != NULL,
	    ("%s: sockbuf %p is not KTLS RX", __func__, sb));
	so = __containerof(sb, struct socket, so_rcv);

	if ((sb->sb_flags & SB_TLS_RX_RUNNING) != 0)
		return;
	if (sb->sb_tlscc < sizeof(hdr)) {
		if ((sb->sb_state & SBS_CANTRCVMORE) != 0 && sb->sb_tlscc != 0)
			ktls_rx_error(so, EMSGSIZE);
		return;
	}
	ktls_rx_copyhdr(sb->sb_mtls, sizeof(hdr), hdr);
	if (ktls_rx_check_header(sb->sb_tls_info, hdr, &tls_len) == 0 &&
	    sb->sb_tlscc < (u_int)tls_len) {
		if ((sb->sb_state & SBS_CANTRCVMORE) != 0)
			ktls_rx_error(so, EMSGSIZE);
		return;
	}

	sb->sb_flags |= SB_TLS_RX_RUNNING;
	soref(so);
	ktls_queue_rx(&ktls_wq[sb->sb_tls_info->wq_index], so);
}

/*
 * Take the first len bytes (one record) off sb_mtls.  If the record ends
 * inside an mbuf, the rest of it moves to a new mbuf that shares the
 * storage (m_split()).  The bytes leave sb_tlscc and are counted in
 * sb_tlsdcc until the record is decrypted.  Lock held.
 *
 * FreeBSD drops the lock to wait for an mbuf when M_NOWAIT fails; an
 * M_WAITOK allocation here neither fails nor sleeps on a kernel lock, so
 * it is made with the lock held.
 */
static struct mbuf *
ktls_detach_record(struct sockbuf *sb, int len)
{
	struct mbuf *m, *n, *top;
	int remain;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(len > 0 && (u_int)len <= sb->sb_tlscc,
	    ("%s: record of %d bytes, %u on sb_mtls", __func__, len,
	    sb->sb_tlscc));
	KASSERT(sb->sb_tlsdcc == 0, ("%s: record %u already in flight",
	    __func__, sb->sb_tlsdcc));

	top = sb->sb_mtls;
	if (sb->sb_tlscc == (u_int)len) {
		sb->sb_mtls = NULL;
		sb->sb_mtlstail = NULL;
		goto out;
	}
	remain = len;
	for (m = top; remain > m->m_len; m = m->m_next)
		remain -= m->m_len;
	if (remain == m->m_len) {
		sb->sb_mtls = m->m_next;
		if (sb->sb_mtls == NULL)
			sb->sb_mtlstail = NULL;
		m->m_next = NULL;
		goto out;
	}

	n = m_split(m, remain, M_NOWAIT);
	if (n == NULL)
		n = m_split(m, remain, M_WAITOK);
	KASSERT(n != NULL && m->m_next == NULL && m->m_len == remain,
	    ("%s: split of %p at %d failed", __func__, m, remain));
	n->m_flags |= m->m_flags & (M_NOTREADY | M_DECRYPTED);
	/* m lost n's bytes; n joins sb_mtls with its own storage count. */
	sb->sb_tlscc -= n->m_len;
	sb->sb_ccc -= n->m_len;
	sballoc_ktls_rx(sb, n);
	sb->sb_mtls = n;
	if (sb->sb_mtlstail == m)
		sb->sb_mtlstail = n;

out:
	KASSERT(m_length(top, NULL) == (u_int)len,
	    ("%s: detached %u bytes, wanted %d", __func__,
	    m_length(top, NULL), len));
	for (m = top; m != NULL; m = m->m_next)
		sbfree_ktls_rx(sb, m);
	sb->sb_tlsdcc = len;
	sb->sb_ccc += len;
	return (top);
}

/*
 * Decrypt one detached record in place.  hdr holds its header and
 * explicit nonce/IV (tls_hlen bytes, gathered); the rest of the record
 * is passed as the mbufs' own memory, so no payload is copied.
 */
#define	KTLS_RX_NIOV	32

static int
ktls_decrypt_record(struct ktls_session *tls, struct mbuf *data,
    const uint8_t *hdr, uint64_t seqno, int *trail_len, uint8_t *record_type)
{
	struct khost_iov iovs[KTLS_RX_NIOV], *iov;
	struct mbuf *m;
	int error, i, n, skip;

	n = 0;
	for (m = data; m != NULL; m = m->m_next)
		n++;
	iov = n <= KTLS_RX_NIOV ? iovs :
	    kmalloc(n * sizeof(*iov), M_KTLS, M_WAITOK);
	skip = tls->params.tls_hlen;
	i = 0;
	for (m = data; m != NULL; m = m->m_next) {
		KASSERT((m->m_flags & M_EXTPG) == 0,
		    ("%s: unmapped mbuf %p", __func__, m));
		if (m->m_len <= skip) {
			skip -= m->m_len;
			continue;
		}
		iov[i].iov_base = mtod(m, char *) + skip;
		iov[i].iov_len = m->m_len - skip;
		skip = 0;
		i++;
	}
	error = khost_crypto_decrypt(tls->cipher, hdr, tls->params.tls_hlen,
	    seqno, i > 0 ? iov : NULL, i, trail_len, record_type);
	if (iov != iovs)
		kfree(iov, M_KTLS);
	return (error);
}

/*
 * Cut a decrypted record down to its plaintext (plen bytes after hlen)
 * and make it readable: no longer not-ready, M_EOR on the last mbuf.
 * NULL when there is no plaintext at all.
 */
static struct mbuf *
ktls_rx_trim(struct mbuf *data, int hlen, int plen)
{
	struct mbuf *m;
	int remain;

	if (plen == 0) {
		m_freem(data);
		return (NULL);
	}
	remain = hlen;
	while (remain > 0) {
		if (data->m_len > remain) {
			data->m_data += remain;
			data->m_len -= remain;
			break;
		}
		remain -= data->m_len;
		data = m_free(data);
	}
	remain = plen;
	for (m = data; remain > m->m_len; m = m->m_next) {
		m->m_flags &= ~(M_NOTREADY | M_DECRYPTED);
		remain -= m->m_len;
	}
	m->m_len = remain;
	m_freem(m->m_next);
	m->m_next = NULL;
	m->m_flags &= ~(M_NOTREADY | M_DECRYPTED);
	m->m_flags |= M_EOR;
	return (data);
}

/*
 * A header error: the stream cannot be framed any more.  Drop the
 * connection (FreeBSD's ktls_drop()), throw away what is left on sb_mtls
 * and leave the error for the reader, who still gets every record
 * decrypted before, then the error, then the end of the stream.
 */
static void
ktls_rx_drop(struct socket *so, int error)
{
	struct sockbuf *sb;
	struct mbuf *m, *mfree;

	if (so->so_proto->pr_abort != NULL)
		so->so_proto->pr_abort(so);
	sb = &so->so_rcv;
	SOCKBUF_LOCK(sb);
	mfree = sb->sb_mtls;
	for (m = mfree; m != NULL; m = m->m_next)
		sbfree_ktls_rx(sb, m);
	sb->sb_mtls = NULL;
	sb->sb_mtlstail = NULL;
	sb->sb_flags &= ~SB_TLS_RX_RUNNING;
	sb->sb_state |= SBS_CANTRCVMORE;
	ktls_rx_error(so, error);
#ifdef INVARIANTS
	SBCHECK(sb);
#endif
	sorwakeup_locked(so);
	SOCKBUF_UNLOCK(sb);
	m_freem(mfree);
}

/*
 * The receive worker: decrypt every whole record on sb_mtls, one at a
 * time, then let go of the socket (ktls_check_rx()'s reference).
 */
static void
ktls_decrypt(struct socket *so)
{
	uint8_t tls_header[MBUF_PEXT_HDR_LEN];
	struct tls_get_record tgr;
	struct ktls_session *tls;
	struct sockbuf *sb;
	struct mbuf *control, *data;
	uint64_t seqno;
	int error, hlen, plen, tls_len, trail_len;
	uint8_t record_type;

	sb = &so->so_rcv;
	SOCKBUF_LOCK(sb);
	KASSERT((sb->sb_flags & SB_TLS_RX_RUNNING) != 0,
	    ("%s: socket %p not running", __func__, so));
	tls = sb->sb_tls_info;
	hlen = tls->params.tls_hlen;
	CTASSERT(sizeof(tls_header) >= AES_BLOCK_LEN +
	    sizeof(struct tls_record_layer));

	for (;;) {
		if (sb->sb_tlscc < sizeof(struct tls_record_layer))
			break;
		ktls_rx_copyhdr(sb->sb_mtls, sizeof(struct tls_record_layer),
		    tls_header);
		error = ktls_rx_check_header(tls, tls_header, &tls_len);
		if (__predict_false(error != 0)) {
			/* Out of step with the stream: give up on it. */
			SOCKBUF_UNLOCK(sb);
			KTLS_STAT_ADD(corrupted_records, 1);
			ktls_rx_drop(so, error);
			sorele(so);
			return;
		}
		if (sb->sb_tlscc < (u_int)tls_len)
			break;

		data = ktls_detach_record(sb, tls_len);
		ktls_rx_copyhdr(data, hlen, tls_header);
		seqno = sb->sb_tls_seqno++;
#ifdef INVARIANTS
		SBCHECK(sb);
#endif
		SOCKBUF_UNLOCK(sb);

		ktls_test_rx_pause(KTLS_TEST_RX_DETACHED, seqno);
		/*
		 * An AEAD record must hold its tag (and TLS 1.3's inner
		 * type): ktls_ocf.c's EMSGSIZE (ktls_test's small_record).
		 */
		if (tls->params.cipher_algorithm != CRYPTO_AES_CBC &&
		    tls_len < hlen + tls->params.tls_tlen)
			error = EMSGSIZE;
		else
			error = ktls_decrypt_record(tls, data, tls_header,
			    seqno, &trail_len, &record_type);
		ktls_test_rx_pause(KTLS_TEST_RX_DECRYPTED, seqno);

		if (error != 0) {
			KTLS_STAT_ADD(failed_crypto, 1);
			m_freem(data);
			SOCKBUF_LOCK(sb);
			if (sb->sb_tlsdcc == 0) {
				/* sbcut/sbdrop/sbflush discarded it. */
				break;
			}
			/* Drop this record only; keep going. */
			sb->sb_ccc -= tls_len;
			sb->sb_tlsdcc = 0;
			if (error != EMSGSIZE)
				error = EBADMSG;
			ktls_rx_error(so, error);
			sorwakeup_locked(so);
			continue;
		}

		plen = tls_len - hlen - trail_len;
		KASSERT(plen >= 0 && plen <= TLS_MAX_MSG_SIZE_V10_2,
		    ("%s: plaintext of %d bytes", __func__, plen));
		memset(&tgr, 0, sizeof(tgr));
		tgr.tls_type = record_type;
		tgr.tls_vmajor = tls_header[1];
		tgr.tls_vminor = tls_header[2];
		be16enc((uint8_t *)&tgr.tls_length, (uint16_t)plen);
		control = sbcreatecontrol(&tgr, sizeof(tgr), TLS_GET_RECORD,
		    IPPROTO_TCP, M_WAITOK);
		data = ktls_rx_trim(data, hlen, plen);

		SOCKBUF_LOCK(sb);
		if (sb->sb_tlsdcc == 0) {
			/* sbcut/sbdrop/sbflush discarded it. */
			m_freem(data);
			m_freem(control);
			break;
		}
		sb->sb_ccc -= tls_len;
		sb->sb_tlsdcc = 0;
		sbappendcontrol_locked(sb, data, control, 0);
		KTLS_STAT_ADD(decrypt_records, 1);
#ifdef INVARIANTS
		SBCHECK(sb);
#endif
		sorwakeup_locked(so);
	}

	/*
	 * Done: whatever is left is part of a record (EMSGSIZE if the peer
	 * has closed), or, after a discard, possibly records to queue again.
	 */
	sb->sb_flags &= ~SB_TLS_RX_RUNNING;
	ktls_check_rx(sb);
	sorwakeup_locked(so);
	SOCKBUF_UNLOCK(sb);
	sorele(so);
}
