/*-
 * The simulated ifnet TLS NIC of the loopback interface (src/dev/ktls_nic.c).
 *
 * Transmit offload only, as a ConnectX (mlx5) offers it: a send tag per
 * connection holds the session's keys; records stay plaintext in the
 * send buffer and the NIC encrypts each segment as it leaves
 * (looutput(), before the pcap tap and the peer).  AES-GCM TLS 1.2 and
 * 1.3 only.
 */
#ifndef _UK_DEV_KTLS_NIC_H_
#define _UK_DEV_KTLS_NIC_H_

#include "sys/types.h"

struct ktls_nic_tag;
struct ktls_session;
struct ktls_stats;
struct mbuf;
struct socket;

/*
 * uktls: net.link.lo.txtls, the loopback interface's IFCAP_TXTLS4
 * (`ifconfig lo0 txtls`).  Off by default, as lo0 has no TLS offload on
 * FreeBSD, so sessions stay in software unless a test or the demo asks.
 */
extern int ktls_nic_txtls;

/*
 * if_snd_tag_alloc(IF_SND_TAG_TYPE_TLS) for a transmit session on a
 * connected TCP socket.  0, EOPNOTSUPP (the interface lacks txtls, or a
 * suite the NIC cannot do), ENXIO (not a connected TCP endpoint: no
 * route to the NIC), ENOMEM.
 */
int	ktls_nic_snd_tag_alloc(struct socket *so, struct ktls_session *tls,
	    struct ktls_nic_tag **tagp);
void	ktls_nic_snd_tag_free(struct ktls_nic_tag *tag);

/*
 * The NIC's transmit engine: m is the packet as TCP built it (still
 * sharing the send buffer's record mbufs), pkt its copy on the wire
 * (len bytes, IP header first).  Bytes of ifnet TLS records in pkt are
 * replaced by their ciphertext and the TCP checksum is redone.
 */
void	ktls_nic_transmit(struct mbuf *m, uint8_t *pkt, int len);

/* The NIC's counters into a kern.ipc.tls.stats snapshot. */
void	ktls_nic_stats(struct ktls_stats *st);

#endif /* !_UK_DEV_KTLS_NIC_H_ */
