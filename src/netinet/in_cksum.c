/*-
 * The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of the data taken as 16-bit big-endian words, a last
 * odd byte padded with zero.
 *
 * The sum is kept as a plain number of big-endian words, so the code
 * does not depend on the host's byte order; a piece of an mbuf chain
 * that starts at an odd offset of the data contributes its first byte
 * to the low half of a word (RFC 1071 section 2(B): byte order
 * independence).  Unmapped (M_EXTPG) mbufs are read through m_apply(),
 * which maps their header, pages and trailer in turn: reading is not a
 * copy, and nothing here is counted as one.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/mbuf.h"
#include "netinet/ip.h"

struct cksum_state {
	uint64_t	sum;
	int		odd;		/* bytes so far is odd */
};

static int
cksum_piece(void *arg, void *p, u_int len)
{
	struct cksum_state *cs = arg;
	const uint8_t *b = p;
	uint64_t sum;

	sum = cs->sum;
	if (len > 0 && cs->odd) {
		sum += *b++;
		len--;
		cs->odd = 0;
	}
	while (len >= 2) {
		sum += (uint32_t)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len == 1) {
		sum += (uint32_t)b[0] << 8;
		cs->odd = 1;
	}
	cs->sum = sum;
	return (0);
}

static uint16_t
cksum_fold(uint64_t sum)
{

	while ((sum >> 16) != 0)
		sum = (sum & 0xffff) + (sum >> 16);
	return (htons((uint16_t)~sum));
}

uint32_t
in_pseudo(in_addr_t src, in_addr_t dst, uint32_t proto_len)
{
	uint32_t s, d;

	s = ntohl(src);
	d = ntohl(dst);
	return ((s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) +
	    (proto_len >> 16) + (proto_len & 0xffff));
}

uint16_t
in_cksum_add(uint32_t sum, struct mbuf *m, int off, int len)
{
	struct cksum_state cs;

	cs.sum = sum;
	cs.odd = 0;
	if (len > 0)
		(void)m_apply(m, off, len, cksum_piece, &cs);
	return (cksum_fold(cs.sum));
}

uint16_t
in_cksum(struct mbuf *m, int off, int len)
{

	return (in_cksum_add(0, m, off, len));
}

uint16_t
in_cksum_buf(const void *buf, int len)
{
	struct cksum_state cs;

	cs.sum = 0;
	cs.odd = 0;
	if (len > 0)
		(void)cksum_piece(&cs, (void *)(uintptr_t)buf, (u_int)len);
	return (cksum_fold(cs.sum));
}
