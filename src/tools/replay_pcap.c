/*
 * uktls replay: reading a capture.
 *
 * libpcap reads the file (pcap or pcapng, either byte order, any
 * timestamp precision); this file peels each frame down to its TCP
 * segment.  Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked
 * capture v1 and v2, BSD loopback (DLT_NULL, host byte order; DLT_LOOP,
 * network order) and raw IP.  IPv4 and IPv6; IPv6 extension headers are
 * skipped; IP fragments are counted and left out (captures of TLS over
 * TCP almost never have them, and reassembling them is not what is being
 * tested).  The TCP checksum is not looked at: captures taken on the
 * sending host carry whatever the NIC would have filled in later.
 *
 * When a frame was cut short by the snapshot length, the segment carries
 * the bytes captured and says how many were sent, so the reassembler sees
 * the rest as missing rather than inventing it.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "replay.h"

#ifndef DLT_LINUX_SLL2
#define	DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define	DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define	DLT_IPV6	229
#endif

struct rp_pcap {
	pcap_t		*pc;
	int		 dlt;
	int		 pcapng;
	uint64_t	 size;
	struct rp_pcap_stats st;
	char		 linkname[32];
};

static unsigned
be16(const uint8_t *p)
{

	return ((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{

	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

void
rp_endpoint_str(const struct rp_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == 4) {
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ep->port);
	} else {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	}
}

int
rp_endpoint_eq(const struct rp_endpoint *a, const struct rp_endpoint *b)
{

	return (a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0);
}

/* The TCP header at p; iplen is what IP says the TCP part is. */
static enum rp_skip
decode_tcp(const uint8_t *p, size_t caplen, size_t iplen,
    struct rp_segment *seg)
{
	size_t hl;

	if (caplen < 20)
		return (RP_SKIP_MALFORMED);
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > caplen || hl > iplen)
		return (RP_SKIP_MALFORMED);
	seg->src.port = (uint16_t)be16(p);
	seg->dst.port = (uint16_t)be16(p + 2);
	seg->seq = be32(p + 4);
	seg->flags = p[13];
	seg->payload = p + hl;
	seg->len = caplen - hl;
	seg->wire_len = iplen - hl;
	return (RP_SKIP_NONE);
}

static enum rp_skip
decode_ipv4(const uint8_t *p, size_t caplen, size_t wirelen,
    struct rp_segment *seg)
{
	size_t hl, total;

	if (caplen < 20 || (p[0] >> 4) != 4)
		return (RP_SKIP_MALFORMED);
	hl = (size_t)(p[0] & 0xf) * 4;
	total = be16(p + 2);
	/* 0: a segmentation-offload frame captured before it was cut. */
	if (total == 0)
		total = wirelen;
	if (hl < 20 || hl > caplen || total < hl)
		return (RP_SKIP_MALFORMED);
	if ((be16(p + 6) & 0x3fff) != 0)
		return (RP_SKIP_FRAGMENT);
	if (p[9] != 6)
		return (RP_SKIP_NOT_TCP);
	memset(&seg->src, 0, sizeof(seg->src));
	memset(&seg->dst, 0, sizeof(seg->dst));
	seg->src.family = seg->dst.family = 4;
	memcpy(seg->src.addr, p + 12, 4);
	memcpy(seg->dst.addr, p + 16, 4);
	/* Trailing link padding is not payload: stop at the IP length. */
	if (caplen > total)
		caplen = total;
	return (decode_tcp(p + hl, caplen - hl, total - hl, seg));
}

static enum rp_skip
decode_ipv6(const uint8_t *p, size_t caplen, size_t wirelen,
    struct rp_segment *seg)
{
	size_t off, total, elen;
	unsigned nh;

	if (caplen < 40 || (p[0] >> 4) != 6)
		return (RP_SKIP_MALFORMED);
	total = 40 + be16(p + 4);
	if (total == 40 && wirelen > 40)
		total = wirelen;	/* offload frame, as for IPv4 */
	memset(&seg->src, 0, sizeof(seg->src));
	memset(&seg->dst, 0, sizeof(seg->dst));
	seg->src.family = seg->dst.family = 6;
	memcpy(seg->src.addr, p + 8, 16);
	memcpy(seg->dst.addr, p + 24, 16);
	if (caplen > total)
		caplen = total;
	nh = p[6];
	off = 40;
	for (;;) {
		switch (nh) {
		case 6:
			return (decode_tcp(p + off, caplen - off, total - off,
			    seg));
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (off + 2 > caplen)
				return (RP_SKIP_MALFORMED);
			elen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:	/* authentication header */
			if (off + 2 > caplen)
				return (RP_SKIP_MALFORMED);
			elen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:	/* fragment: only a whole one is read */
			if (off + 8 > caplen)
				return (RP_SKIP_MALFORMED);
			if ((be16(p + off + 2) & 0xfff9) != 0)
				return (RP_SKIP_FRAGMENT);
			elen = 8;
			break;
		default:
			return (RP_SKIP_NOT_TCP);
		}
		nh = p[off];
		off += elen;
		if (off > caplen || off > total)
			return (RP_SKIP_MALFORMED);
	}
}

/* An IP packet whose version is in its first nibble. */
static enum rp_skip
decode_ip(const uint8_t *p, size_t caplen, size_t wirelen,
    struct rp_segment *seg)
{

	if (caplen < 1)
		return (RP_SKIP_MALFORMED);
	switch (p[0] >> 4) {
	case 4:
		return (decode_ipv4(p, caplen, wirelen, seg));
	case 6:
		return (decode_ipv6(p, caplen, wirelen, seg));
	default:
		return (RP_SKIP_LINK);
	}
}

/* By ethertype: IPv4 or IPv6, else not for us. */
static enum rp_skip
decode_ethertype(unsigned type, const uint8_t *p, size_t caplen,
    size_t wirelen, struct rp_segment *seg)
{

	if (type == 0x0800 || type == 0x86dd)
		return (decode_ip(p, caplen, wirelen, seg));
	return (RP_SKIP_LINK);
}

int
rp_dlt_supported(int dlt)
{

	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return (1);
	default:
		return (0);
	}
}

enum rp_skip
rp_decode(int dlt, const uint8_t *pkt, size_t caplen, size_t wirelen,
    struct rp_segment *seg)
{
	size_t hl;
	unsigned type;

	if (wirelen < caplen)
		wirelen = caplen;
	switch (dlt) {
	case DLT_EN10MB:
		hl = 14;
		if (caplen < hl)
			return (RP_SKIP_MALFORMED);
		type = be16(pkt + 12);
		/* 802.1Q and 802.1ad tags, possibly stacked. */
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (caplen < hl + 4)
				return (RP_SKIP_MALFORMED);
			type = be16(pkt + hl + 2);
			hl += 4;
		}
		return (decode_ethertype(type, pkt + hl, caplen - hl,
		    wirelen - hl, seg));
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return (RP_SKIP_MALFORMED);
		return (decode_ethertype(be16(pkt + 14), pkt + 16,
		    caplen - 16, wirelen - 16, seg));
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return (RP_SKIP_MALFORMED);
		return (decode_ethertype(be16(pkt), pkt + 20, caplen - 20,
		    wirelen - 20, seg));
	case DLT_NULL:
	case DLT_LOOP:
		/*
		 * A 4-byte address family, in the capturing host's byte
		 * order (NULL) or network order (LOOP); AF_INET6 differs
		 * between systems, so the IP version nibble decides.
		 */
		if (caplen < 4)
			return (RP_SKIP_MALFORMED);
		return (decode_ip(pkt + 4, caplen - 4, wirelen - 4, seg));
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return (decode_ip(pkt, caplen, wirelen, seg));
	default:
		return (RP_SKIP_LINK);
	}
}

int
rp_pcap_open(const char *path, struct rp_pcap **pp, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct rp_pcap *p;
	struct stat sb;
	uint8_t magic[4];
	const char *name;
	FILE *fp;

	*pp = NULL;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (fstat(fileno(fp), &sb) == 0)
		p->size = (uint64_t)sb.st_size;
	p->pcapng = fread(magic, 1, 4, fp) == 4 && be32(magic) == 0x0a0d0d0a;
	fclose(fp);

	ebuf[0] = '\0';
	p->pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (p->pc == NULL) {
		snprintf(err, errlen, "%s: not a capture libpcap can read: %s",
		    path, ebuf);
		free(p);
		return (-1);
	}
	p->dlt = pcap_datalink(p->pc);
	name = pcap_datalink_val_to_name(p->dlt);
	snprintf(p->linkname, sizeof(p->linkname), "%s",
	    name != NULL ? name : "unknown");
	if (!rp_dlt_supported(p->dlt)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not supported "
		    "(Ethernet, Linux cooked, BSD loopback, raw IP)", path,
		    p->dlt, p->linkname);
		pcap_close(p->pc);
		free(p);
		return (-1);
	}
	*pp = p;
	return (0);
}

int
rp_pcap_next(struct rp_pcap *p, struct rp_segment *seg, char *err,
    size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	enum rp_skip why;
	int rc;

	for (;;) {
		rc = pcap_next_ex(p->pc, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return (0);
		if (rc != 1) {
			snprintf(err, errlen, "after frame %llu: %s",
			    (unsigned long long)p->st.frames,
			    pcap_geterr(p->pc));
			return (-1);
		}
		p->st.frames++;
		memset(seg, 0, sizeof(*seg));
		why = rp_decode(p->dlt, data, h->caplen, h->len, seg);
		if (why != RP_SKIP_NONE) {
			p->st.skipped[why]++;
			continue;
		}
		seg->frame = p->st.frames;
		seg->ts_usec = (uint64_t)h->ts.tv_sec * 1000000 +
		    (uint64_t)h->ts.tv_usec;
		p->st.segments++;
		return (1);
	}
}

const char *
rp_pcap_linktype(const struct rp_pcap *p)
{

	return (p->linkname);
}

const char *
rp_pcap_format(const struct rp_pcap *p)
{

	return (p->pcapng ? "pcapng" : "pcap");
}

void
rp_pcap_stats(const struct rp_pcap *p, struct rp_pcap_stats *st)
{

	*st = p->st;
}

void
rp_pcap_progress(const struct rp_pcap *p, uint64_t *pos, uint64_t *size)
{
	FILE *fp;
	off_t o;

	*size = p->size;
	*pos = 0;
	fp = pcap_file(p->pc);
	if (fp != NULL && (o = ftello(fp)) >= 0)
		*pos = (uint64_t)o;
}

void
rp_pcap_close(struct rp_pcap *p)
{

	if (p == NULL)
		return;
	pcap_close(p->pc);
	free(p);
}
