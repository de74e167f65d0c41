/*-
 * IPv4 for the loopback TCP shim: ip_output() finishes the IP header of
 * a TCP segment and puts it on the simulated wire; ip_input() checks a
 * received packet (version, lengths, header checksum, a loopback
 * destination) and hands the TCP segment to tcp_input().  No options,
 * no fragments: every segment fits the MTU the MSS was chosen for.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/atomic.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

static volatile u_int	ip_id;		/* net.inet.ip.random_id: off */
static volatile u_int	ip_badsum, ip_badlen, ip_noproto;

/*
 * m holds a struct ip with ip_src, ip_dst and ip_p filled in, then the
 * TCP segment.  The rest of the IP header is set here.  Consumes m.
 */
int
ip_output(struct tcpcb *tp, struct mbuf *m)
{
	struct ip *ip;

	KASSERT((m->m_flags & M_PKTHDR) != 0, ("%s: no packet header",
	    __func__));
	KASSERT(m->m_len >= (int)sizeof(struct ip), ("%s: short header",
	    __func__));
	KASSERT(m->m_pkthdr.len <= IP_MAXPACKET, ("%s: %d bytes", __func__,
	    m->m_pkthdr.len));
	ip = mtod(m, struct ip *);
	ip->ip_v = IPVERSION;
	ip->ip_hl = sizeof(struct ip) >> 2;
	ip->ip_tos = 0;
	ip->ip_len = htons((uint16_t)m->m_pkthdr.len);
	ip->ip_id = htons((uint16_t)atomic_fetchadd_int(&ip_id, 1));
	ip->ip_off = htons(IP_DF);
	ip->ip_ttl = IPDEFTTL;
	ip->ip_sum = 0;
	ip->ip_sum = in_cksum_buf(ip, sizeof(struct ip));
	looutput(tp, m);
	return (0);
}

void
ip_input(struct mbuf *m)
{
	struct ip *ip;
	int hlen, len;

	if (m->m_pkthdr.len < (int)sizeof(struct ip))
		goto badlen;
	if (m->m_len < (int)sizeof(struct ip) &&
	    (m = m_pullup(m, sizeof(struct ip))) == NULL) {
		atomic_add_int(&ip_badlen, 1);
		return;
	}
	ip = mtod(m, struct ip *);
	hlen = ip->ip_hl << 2;
	if (ip->ip_v != IPVERSION || hlen < (int)sizeof(struct ip) ||
	    hlen > m->m_pkthdr.len)
		goto badlen;
	if (m->m_len < hlen) {
		if ((m = m_pullup(m, hlen)) == NULL) {
			atomic_add_int(&ip_badlen, 1);
			return;
		}
		ip = mtod(m, struct ip *);
	}
	if (in_cksum(m, 0, hlen) != 0) {
		atomic_add_int(&ip_badsum, 1);
		m_freem(m);
		return;
	}
	len = ntohs(ip->ip_len);
	if (len < hlen || len > m->m_pkthdr.len)
		goto badlen;
	/* Trailing bytes past the IP length (Ethernet padding) go. */
	if (len < m->m_pkthdr.len)
		m_adj(m, len - m->m_pkthdr.len);
	if ((ntohs(ip->ip_off) & 0x3fff) != 0 || ip->ip_p != IPPROTO_TCP ||
	    !IN_LOOPBACK(ntohl(ip->ip_dst.s_addr))) {
		atomic_add_int(&ip_noproto, 1);
		m_freem(m);
		return;
	}
	tcp_input(m, hlen);
	return;
badlen:
	atomic_add_int(&ip_badlen, 1);
	m_freem(m);
}
