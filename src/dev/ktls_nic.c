/*-
 * A simulated ifnet TLS NIC on the loopback interface: transmit offload
 * with send tags, after Mellanox ConnectX (FreeBSD's mlx5en, en_hw_tls.c).
 *
 * Design note.
 *
 * A session in ifnet mode owns a send tag (ktls_nic_snd_tag_alloc(),
 * FreeBSD's if_snd_tag_alloc(IF_SND_TAG_TYPE_TLS)).  The tag is the
 * NIC's context for one connection: its own copy of the keys (a
 * khost_crypto context standing for the key object mlx5 loads into the
 * device) and the state of its encryption engine: which record it is in
 * (by TLS sequence number) and how many bytes of that record have gone
 * through it.
 *
 * Records of an ifnet session stay plaintext in the send buffer, framed
 * (header, explicit nonce, room for the trailer) and holding the session
 * (m_epg_tls).  TCP's segments share those M_EXTPG mbufs (m_copym()), and
 * each shared mbuf still describes the whole record: header, every page
 * and the trailer, with m_data the offset of the segment's part.  So the
 * NIC, at looutput(), can see where in which record each piece of a
 * segment lies, and can read the record from its start.
 *
 * For every piece of an ifnet record in a packet:
 *
 *   - in order: the piece continues the record the engine is in at the
 *     offset where it stopped, or starts the record after the one it
 *     finished.  The engine encrypts just that part (mlx5: a plain send
 *     WQE with the tag).
 *   - out of order: anything else, a retransmission or a segment sent
 *     after one that was retransmitted.  The driver resyncs the engine
 *     (mlx5: static params with the record's sequence number, progress
 *     params, then DUMP WQEs carrying the record's bytes from its header
 *     up to the piece, which the NIC encrypts but does not send) and then
 *     sends the piece.  The prefix is counted in ifnet_dump_bytes.
 *
 * The crypto seam (khost_crypto_encrypt()) works on whole records, so
 * the engine computes the record it enters at once into the tag's buffer
 * and hands out the bytes as pieces pass; what it does and counts is per
 * piece as above.  That work is the device's, not the host CPU's: it is
 * taken back out of KC_CRYPTO_BYTES and counted in ifnet_crypto_bytes.
 *
 * The send buffer keeps a record's mbuf until every byte of it is
 * acknowledged, so a retransmission always finds its record, prefix
 * included (sbdrop of a partly acknowledged record only moves m_data);
 * TCP never resends acknowledged data, so nothing else is needed.
 *
 * Locking: the engine state of a tag is used only from looutput() of its
 * connection, under the connection's lock (TCP_LOCK).
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/socketvar.h"
#include "sys/ktls.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"
#include "dev/ktls_nic.h"

MALLOC_DEFINE(M_KTLS_NIC, "ktls_nic", "simulated TLS NIC send tags");

int ktls_nic_txtls = 0;

struct ktls_nic_tag {
	struct khost_crypto *cipher;	/* the NIC's copy of the keys */
	bool		 valid;		/* the engine is in a record */
	uint64_t	 seqno;		/* that record */
	int		 off;		/* bytes of it through the engine */
	int		 len;		/* its length */
	int		 cap;		/* room in rec */
	uint8_t		 rec[];		/* the record as the engine makes it */
};

/* Device counters (kern.ipc.tls.stats and mlx5's per-tag counters). */
static struct {
	int64_t	records;	/* records entered in order */
	int64_t	resyncs;	/* out-of-order pieces: engine resynced */
	int64_t	dump_bytes;	/* record prefixes re-read for a resync */
	int64_t	crypto_bytes;	/* payload bytes the NIC encrypted */
	int64_t	failed;		/* records the engine could not do */
} nic_st;

#define	NIC_STAT_ADD(field, v)	atomic_add_64(&nic_st.field, (v))

static bool
ktls_nic_suite_ok(const struct ktls_session *tls)
{

	/* mlx5: AES-128/256-GCM, TLS 1.2 and 1.3. */
	if (tls->params.cipher_algorithm != CRYPTO_AES_NIST_GCM_16)
		return (false);
	if (tls->params.cipher_key_len != 16 &&
	    tls->params.cipher_key_len != 32)
		return (false);
	return (tls->params.tls_vminor == TLS_MINOR_VER_TWO ||
	    tls->params.tls_vminor == TLS_MINOR_VER_THREE);
}

int
ktls_nic_snd_tag_alloc(struct socket *so, struct ktls_session *tls,
    struct ktls_nic_tag **tagp)
{
	struct khost_tls_keys keys;
	struct ktls_nic_tag *tag;
	struct tcpcb *tp;
	bool routed;
	int cap, error;

	/*
	 * Every socket here is routed over lo0, so its capability comes
	 * first; then the socket must reach the NIC at all: a connected
	 * TCP endpoint (the loopback sink of the unit tests never
	 * transmits).
	 */
	if (atomic_load_int(&ktls_nic_txtls) == 0)
		return (EOPNOTSUPP);
	if (so->so_proto != &tcp_protosw || so->so_pcb == NULL)
		return (ENXIO);
	tp = intotcpcb(so);
	TCP_LOCK(tp);
	routed = tp->t_faddr != 0 && tp->t_state != TCPS_CLOSED;
	TCP_UNLOCK(tp);
	if (!routed)
		return (ENXIO);
	if (!ktls_nic_suite_ok(tls))
		return (EOPNOTSUPP);

	cap = tls->params.tls_hlen + tls->params.max_frame_len +
	    tls->params.tls_tlen;
	tag = kmalloc(sizeof(*tag) + (size_t)cap, M_KTLS_NIC,
	    M_WAITOK | M_ZERO);
	tag->cap = cap;
	ktls_session_keys(tls, &keys);
	error = khost_crypto_create(&keys, KTLS_TX, &tag->cipher);
	if (error != 0) {
		kfree(tag, M_KTLS_NIC);
		return (error == ENOTSUP ? EOPNOTSUPP : error);
	}
	*tagp = tag;
	return (0);
}

void
ktls_nic_snd_tag_free(struct ktls_nic_tag *tag)
{

	if (tag == NULL)
		return;
	khost_crypto_destroy(tag->cipher);
	explicit_bzero(tag, sizeof(*tag) + (size_t)tag->cap);
	kfree(tag, M_KTLS_NIC);
}

/* Payload (page) bytes of a record mbuf. */
static int
nic_pages_len(const struct mbuf *m)
{
	int i, len, off;

	len = 0;
	off = m->m_epg_1st_off;
	for (i = 0; i < m->m_epg_npgs; i++) {
		len += m_epg_pagelen(m, i, off);
		off = 0;
	}
	return (len);
}

/*
 * Put the record m belongs to through the engine from its first byte:
 * header as framed, then the payload read from the record's pages
 * (which are never written), then the trailer.
 */
static int
nic_load_record(struct ktls_nic_tag *tag, const struct mbuf *m)
{
	struct khost_iov src[MBUF_PEXT_MAX_PGS], dst;
	int error, i, off, plen;

	plen = nic_pages_len(m);
	KASSERT(m->m_epg_hdrlen + plen + m->m_epg_trllen <= tag->cap,
	    ("%s: record of %d bytes", __func__,
	    m->m_epg_hdrlen + plen + m->m_epg_trllen));
	off = m->m_epg_1st_off;
	for (i = 0; i < m->m_epg_npgs; i++) {
		src[i].iov_base = (char *)PHYS_TO_DMAP(m->m_epg_pa[i]) + off;
		src[i].iov_len = (size_t)m_epg_pagelen(m, i, off);
		off = 0;
	}
	memcpy(tag->rec, m->m_epg_hdr, m->m_epg_hdrlen);
	dst.iov_base = tag->rec + m->m_epg_hdrlen;
	dst.iov_len = (size_t)plen;
	error = khost_crypto_encrypt(tag->cipher, tag->rec, m->m_epg_hdrlen,
	    m->m_epg_seqno, m->m_epg_record_type, src, m->m_epg_npgs, &dst,
	    1, tag->rec + m->m_epg_hdrlen + plen, m->m_epg_trllen);
	tag->valid = error == 0;
	if (error != 0) {
		NIC_STAT_ADD(failed, 1);
		return (error);
	}
	/* The device's engine, not a pass of the host's CPU. */
	khost_counter_add(KC_CRYPTO_BYTES, -(int64_t)plen);
	NIC_STAT_ADD(crypto_bytes, plen);
	tag->seqno = m->m_epg_seqno;
	tag->len = m->m_epg_hdrlen + plen + m->m_epg_trllen;
	tag->off = 0;
	return (0);
}

/* One piece of a record in a packet: its ciphertext into dst. */
static void
nic_encrypt_piece(struct ktls_nic_tag *tag, const struct mbuf *m,
    uint8_t *dst)
{
	int roff;

	roff = (int)mtod(m, vm_offset_t);
	if (tag->valid && tag->seqno == m->m_epg_seqno && tag->off == roff) {
		/* Continues the record the engine is in. */
	} else if (roff == 0 && (!tag->valid ||
	    (tag->seqno + 1 == m->m_epg_seqno && tag->off == tag->len))) {
		/* The next record, from its header. */
		if (nic_load_record(tag, m) != 0)
			return;
		NIC_STAT_ADD(records, 1);
	} else {
		/*
		 * Out of order: resync to this record and DUMP its bytes
		 * from the header up to the piece.
		 */
		if (nic_load_record(tag, m) != 0)
			return;
		NIC_STAT_ADD(resyncs, 1);
		NIC_STAT_ADD(dump_bytes, roff);
	}
	KASSERT(roff + m->m_len <= tag->len, ("%s: piece %d+%d of a record of "
	    "%d", __func__, roff, m->m_len, tag->len));
	memcpy(dst, tag->rec + roff, (size_t)m->m_len);
	tag->off = roff + m->m_len;
}

/* The TCP checksum of the packet, as the NIC's checksum offload does. */
static void
nic_tcp_cksum(uint8_t *pkt, int len)
{
	struct ip *ip;
	struct tcphdr *th;
	uint32_t sum;
	int hlen, tlen;

	ip = (struct ip *)(void *)pkt;
	hlen = ip->ip_hl << 2;
	tlen = len - hlen;
	th = (struct tcphdr *)(void *)(pkt + hlen);
	th->th_sum = 0;
	/* in_cksum_buf() is ~sum folded; add the pseudo-header to sum. */
	sum = (uint16_t)~ntohs(in_cksum_buf(th, tlen));
	sum += in_pseudo(ip->ip_src.s_addr, ip->ip_dst.s_addr,
	    IPPROTO_TCP + (uint32_t)tlen);
	while ((sum >> 16) != 0)
		sum = (sum & 0xffff) + (sum >> 16);
	th->th_sum = htons((uint16_t)~sum);
}

void
ktls_nic_transmit(struct mbuf *m, uint8_t *pkt, int len)
{
	struct ktls_session *tls;
	struct mbuf *n;
	bool changed;
	int pos;

	changed = false;
	pos = 0;
	for (n = m; n != NULL; pos += n->m_len, n = n->m_next) {
		if ((n->m_flags & M_EXTPG) == 0 || n->m_len == 0)
			continue;
		tls = n->m_epg_tls;
		if (tls == NULL || tls->mode != TCP_TLS_MODE_IFNET ||
		    tls->snd_tag == NULL)
			continue;
		KASSERT(pos + n->m_len <= len, ("%s: chain past the packet",
		    __func__));
		nic_encrypt_piece(tls->snd_tag, n, pkt + pos);
		changed = true;
	}
	if (changed)
		nic_tcp_cksum(pkt, len);
}

void
ktls_nic_stats(struct ktls_stats *st)
{

	st->ifnet_records = atomic_load_64(&nic_st.records);
	st->ifnet_resyncs = atomic_load_64(&nic_st.resyncs);
	st->ifnet_dump_bytes = atomic_load_64(&nic_st.dump_bytes);
	st->ifnet_crypto_bytes = atomic_load_64(&nic_st.crypto_bytes);
	st->ifnet_failed = atomic_load_64(&nic_st.failed);
}
