/*
 * The pcap tap and the key log writer (include/uktls/net.h).
 *
 * The kernel hands over every IPv4 packet a TCP endpoint transmits
 * (khost_tap_packet()), checksums done.  The tap puts an Ethernet header
 * in front, locally administered addresses made from the IPv4 address
 * (02:00:7f:00:00:01 for 127.0.0.1), and writes the frame through
 * libpcap's dump API: a capture with no live interface behind it
 * (pcap_open_dead(DLT_EN10MB)) in nanosecond resolution, stamped with
 * the simulated clock, which starts at 2026-01-01 (host_clock.c), so the
 * capture reads as a plausible one in Wireshark.
 *
 * The key log is NSS's SSLKEYLOGFILE format: one "LABEL client_random
 * secret" line per secret, in lowercase hex, which Wireshark and tshark
 * use to decrypt the TLS sessions of a capture.
 */
#include <ctype.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/net.h>

#include "host.h"

#define	TAP_SNAPLEN	(65535 + 14)
#define	ETHER_HDR_LEN	14
#define	ETHERTYPE_IP	0x0800

static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;
static pcap_t *tap_pd;
static pcap_dumper_t *tap_dumper;
static uint64_t tap_frames;
static uint8_t tap_frame[TAP_SNAPLEN];

static void
tap_close_locked(void)
{

	if (tap_dumper != NULL) {
		pcap_dump_flush(tap_dumper);
		pcap_dump_close(tap_dumper);
		tap_dumper = NULL;
	}
	if (tap_pd != NULL) {
		pcap_close(tap_pd);
		tap_pd = NULL;
	}
	tap_frames = 0;
}

int
uk_net_pcap_open(const char *path)
{
	FILE *fp;
	pcap_t *pd;
	pcap_dumper_t *d;

	if (path == NULL) {
		errno = EFAULT;
		return (-1);
	}
	pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, TAP_SNAPLEN,
	    PCAP_TSTAMP_PRECISION_NANO);
	if (pd == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	fp = fopen(path, "wb");
	if (fp == NULL) {
		pcap_close(pd);
		return (-1);
	}
	d = pcap_dump_fopen(pd, fp);
	if (d == NULL) {
		fclose(fp);
		pcap_close(pd);
		errno = EIO;
		return (-1);
	}
	pthread_mutex_lock(&tap_lock);
	tap_close_locked();
	tap_pd = pd;
	tap_dumper = d;
	pthread_mutex_unlock(&tap_lock);
	return (0);
}

int
uk_net_pcap_close(void)
{

	pthread_mutex_lock(&tap_lock);
	tap_close_locked();
	pthread_mutex_unlock(&tap_lock);
	return (0);
}

uint64_t
uk_net_pcap_frames(void)
{
	uint64_t n;

	pthread_mutex_lock(&tap_lock);
	n = tap_frames;
	pthread_mutex_unlock(&tap_lock);
	return (n);
}

static void
tap_mac(uint8_t *mac, const uint8_t *ip)
{

	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, ip, 4);
}

void
khost_tap_packet(const void *pkt, size_t len, uint64_t ns)
{
	struct pcap_pkthdr h;
	const uint8_t *ip = pkt;

	if (len < 20 || len > TAP_SNAPLEN - ETHER_HDR_LEN)
		return;
	pthread_mutex_lock(&tap_lock);
	if (tap_dumper == NULL) {
		pthread_mutex_unlock(&tap_lock);
		return;
	}
	tap_mac(tap_frame, ip + 16);		/* destination */
	tap_mac(tap_frame + 6, ip + 12);	/* source */
	tap_frame[12] = ETHERTYPE_IP >> 8;
	tap_frame[13] = ETHERTYPE_IP & 0xff;
	memcpy(tap_frame + ETHER_HDR_LEN, pkt, len);
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ns / 1000000000ULL);
	/* Nanoseconds: the dumper was opened with nanosecond precision. */
	h.ts.tv_usec = (suseconds_t)(ns % 1000000000ULL);
	h.caplen = h.len = (bpf_u_int32)(len + ETHER_HDR_LEN);
	pcap_dump((u_char *)tap_dumper, &h, tap_frame);
	tap_frames++;
	pthread_mutex_unlock(&tap_lock);
}

/* ---- key log ------------------------------------------------------------ */

static pthread_mutex_t keylog_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *keylog_fp;

int
uk_keylog_open(const char *path)
{
	FILE *fp;

	if (path == NULL) {
		errno = EFAULT;
		return (-1);
	}
	fp = fopen(path, "w");
	if (fp == NULL)
		return (-1);
	pthread_mutex_lock(&keylog_lock);
	if (keylog_fp != NULL)
		fclose(keylog_fp);
	keylog_fp = fp;
	pthread_mutex_unlock(&keylog_lock);
	return (0);
}

int
uk_keylog_close(void)
{
	int error;

	error = 0;
	pthread_mutex_lock(&keylog_lock);
	if (keylog_fp != NULL && fclose(keylog_fp) != 0)
		error = errno;
	keylog_fp = NULL;
	pthread_mutex_unlock(&keylog_lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

/* A run of n hex digits (n > 0, even) at *p; advances *p past it. */
static int
keylog_hex(const char **p, size_t *n)
{
	const char *s;

	s = *p;
	while (isxdigit((unsigned char)*s))
		s++;
	*n = (size_t)(s - *p);
	*p = s;
	return (*n > 0 && *n % 2 == 0);
}

static int
keylog_write(const char *line)
{
	int error;

	pthread_mutex_lock(&keylog_lock);
	if (keylog_fp == NULL) {
		pthread_mutex_unlock(&keylog_lock);
		errno = EBADF;
		return (-1);
	}
	error = 0;
	if (fprintf(keylog_fp, "%s\n", line) < 0 || fflush(keylog_fp) != 0)
		error = EIO;
	pthread_mutex_unlock(&keylog_lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
uk_keylog_line(const char *line)
{
	const char *p;
	size_t n;

	if (line == NULL) {
		errno = EFAULT;
		return (-1);
	}
	/* LABEL (upper case and underscores), client random, secret. */
	p = line;
	while (isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
	    *p == '_')
		p++;
	if (p == line || *p++ != ' ' || !keylog_hex(&p, &n) || n != 64 ||
	    *p++ != ' ' || !keylog_hex(&p, &n) || *p != '\0') {
		errno = EINVAL;
		return (-1);
	}
	return (keylog_write(line));
}

int
uk_keylog_secret(const char *label, const uint8_t *client_random,
    size_t crlen, const uint8_t *secret, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *line, *q;
	size_t i, llen;
	int rv;

	if (label == NULL || client_random == NULL || secret == NULL) {
		errno = EFAULT;
		return (-1);
	}
	if (crlen != 32 || len == 0 || len > 64) {
		errno = EINVAL;
		return (-1);
	}
	llen = strlen(label);
	line = malloc(llen + 2 + 2 * crlen + 2 * len + 1);
	if (line == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	memcpy(line, label, llen);
	q = line + llen;
	*q++ = ' ';
	for (i = 0; i < crlen; i++) {
		*q++ = hex[client_random[i] >> 4];
		*q++ = hex[client_random[i] & 0xf];
	}
	*q++ = ' ';
	for (i = 0; i < len; i++) {
		*q++ = hex[secret[i] >> 4];
		*q++ = hex[secret[i] & 0xf];
	}
	*q = '\0';
	rv = uk_keylog_line(line);
	free(line);
	return (rv);
}
