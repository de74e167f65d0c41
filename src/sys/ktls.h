/*-
 * Kernel TLS: sessions and the entry points the socket layer calls.
 *
 * The user-visible part (struct tls_enable, the TCP_*TLS_* options, the
 * CRYPTO_* ids) is include/uktls/ktls.h, shared with applications as
 * FreeBSD shares sys/ktls.h; this header adds the kernel's side.
 *
 * A session is created by setsockopt(TCP_TXTLS_ENABLE / TCP_RXTLS_ENABLE)
 * and hangs off the socket buffer (sb_tls_info).  It is reference counted:
 * the socket buffer holds one reference, and every transmit record mbuf
 * not yet encrypted holds one (m_epg_tls), so a session outlives a close
 * while records are still in a worker's hands.
 */
#ifndef _UK_SYS_KTLS_H_
#define _UK_SYS_KTLS_H_

#include "sys/types.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/khost.h"
#include "uktls/ktls.h"

struct ktls_nic_tag;
struct mbuf;
struct socket;
struct sockbuf;
struct sockopt;

/* Per-session parameters derived from struct tls_enable. */
struct tls_session_params {
	uint8_t	*cipher_key;
	uint8_t	*auth_key;
	uint8_t	 iv[TLS_CBC_IMPLICIT_IV_LEN];
	int	 cipher_algorithm;
	int	 auth_algorithm;
	uint16_t cipher_key_len;
	uint16_t iv_len;
	uint16_t auth_key_len;
	uint16_t max_frame_len;	/* largest plaintext per record */
	uint8_t	 tls_vmajor;
	uint8_t	 tls_vminor;
	uint8_t	 tls_hlen;	/* header + explicit nonce/IV */
	uint8_t	 tls_tlen;	/* largest trailer */
	uint8_t	 tls_bs;	/* cipher block size (CBC padding) */
	uint8_t	 flags;
};

struct ktls_session {
	struct tls_session_params params;
	struct khost_crypto *cipher;	/* software crypto state */
	struct ktls_nic_tag *snd_tag;	/* ifnet mode: the NIC's send tag */
	volatile u_int	 refcount;
	int		 mode;		/* TCP_TLS_MODE_* */
	int		 direction;	/* KTLS_TX or KTLS_RX */
	int		 wq_index;	/* which worker queue */
	uint64_t	 gcm_nonce;	/* TLS 1.2 GCM explicit nonce counter */

	/* TLS 1.0 CBC: records must be encrypted in sequence order. */
	struct mtx	 mtx;
	uint64_t	 next_seqno;	/* next record to encrypt */
	STAILQ_HEAD(, mbuf) pending_records;	/* arrived early */
	int		 npending;

	struct khost_work free_work;	/* deferred destroy */
};

/* Statistics, after kern.ipc.tls.stats (a snapshot for the API). */
struct ktls_stats {
	int64_t	active;			/* live sessions */
	int64_t	enable_calls;		/* TX and RX enables, ok or not */
	int64_t	offload_total;		/* sessions created */
	int64_t	sw_tx;			/* active SW TX sessions */
	int64_t	sw_rx;			/* active SW RX sessions */
	int64_t	ifnet_tx;
	int64_t	toe_tx;
	int64_t	toe_rx;
	int64_t	tx_gcm, tx_cbc, tx_chacha;	/* active TX by cipher */
	int64_t	rx_gcm, rx_cbc, rx_chacha;	/* active RX by cipher */
	int64_t	sw_tx_inqueue;		/* batches queued to workers */
	int64_t	sw_tx_pending;		/* TLS 1.0 records waiting in order */
	int64_t	sw_rx_inqueue;
	int64_t	tasks_active;
	int64_t	encrypt_records;	/* records encrypted */
	int64_t	decrypt_records;	/* records decrypted */
	int64_t	inplace;		/* encrypted in place */
	int64_t	separate_output;	/* encrypted into new pages */
	int64_t	failed_crypto;
	int64_t	corrupted_records;
	int64_t	switch_to_ifnet;	/* TCP_TXTLS_MODE switches done */
	int64_t	switch_to_sw;
	int64_t	switch_failed;
	/* The simulated NIC (src/dev/ktls_nic.c). */
	int64_t	ifnet_records;		/* records encrypted in order */
	int64_t	ifnet_resyncs;		/* out-of-order pieces */
	int64_t	ifnet_dump_bytes;	/* record prefixes re-read (DUMP) */
	int64_t	ifnet_crypto_bytes;	/* payload bytes the NIC encrypted */
	int64_t	ifnet_failed;		/* records the NIC could not do */
};

/* Tunables (kern.ipc.tls.*). */
extern int ktls_enable;			/* kern.ipc.tls.enable */
extern int ktls_cbc_enable;		/* kern.ipc.tls.cbc_enable */
extern int ktls_ifnet_permitted;	/* kern.ipc.tls.ifnet.permitted */

void	ktls_stats(struct ktls_stats *st);

/* Sessions. */
int	ktls_create_session(struct socket *so, const struct tls_enable *en,
	    struct ktls_session **tlsp, int direction);
static inline struct ktls_session *
ktls_hold(struct ktls_session *tls)
{

	if (tls != NULL)
		__atomic_add_fetch(&tls->refcount, 1, __ATOMIC_ACQ_REL);
	return (tls);
}
void	ktls_destroy(struct ktls_session *tls);
void	ktls_session_keys(const struct ktls_session *tls,
	    struct khost_tls_keys *keys);
static inline void
ktls_free(struct ktls_session *tls)
{

	if (__atomic_sub_fetch(&tls->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		ktls_destroy(tls);
}

/* setsockopt glue. */
int	ktls_enable_tx(struct socket *so, const struct tls_enable *en);
int	ktls_enable_rx(struct socket *so, const struct tls_enable *en);
int	ktls_get_tx_mode(struct socket *so, int *modep);
int	ktls_get_rx_mode(struct socket *so, int *modep);
int	ktls_set_tx_mode(struct socket *so, int mode);
bool	ktls_permit_empty_frames(struct ktls_session *tls);

/* Transmit. */
void	ktls_frame(struct mbuf *m, struct ktls_session *tls, int *enqcnt,
	    uint8_t record_type);
void	ktls_seq(struct sockbuf *sb, struct mbuf *m);
void	ktls_enqueue(struct mbuf *m, struct socket *so, int page_count);

/* Receive. */
void	ktls_check_rx(struct sockbuf *sb);

/* Start and stop the worker queues (called by the host at reset). */
void	ktls_init(void);

#endif /* !_UK_SYS_KTLS_H_ */
