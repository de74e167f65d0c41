/*
 * uktls: KTLS statistics and tunables, after FreeBSD's sysctl tree.
 *
 * uk_ktls_stats() is kern.ipc.tls.stats.*: gauges of live sessions (by
 * mode, direction and cipher) and totals of work done since the process
 * started.  uk_sysctl_int() reads and sets the integer tunables:
 *
 *   kern.ipc.tls.enable            1: KTLS may be enabled (default)
 *   kern.ipc.tls.cbc_enable        1: CBC suites may be used (default)
 *   kern.ipc.tls.ifnet.permitted   1: TCP_TXTLS_ENABLE may choose ifnet
 *                                  TLS (default, as FreeBSD)
 *   net.link.lo.txtls              uktls: the loopback NIC offers TLS
 *                                  transmit offload; 0 (default): no
 *   net.inet.tcp.sendspace         send buffer size of new sockets
 *   net.inet.tcp.recvspace         receive buffer size of new sockets
 *   kern.ipc.sendfile.io_mbufs     uktls: mbufs per simulated sendfile
 *                                  I/O; 0 (default): one per fill
 *   kern.ipc.sendfile.reverse_io   uktls: complete the simulated I/Os
 *                                  of a sendfile call last first
 */
#ifndef UKTLS_STATS_H
#define UKTLS_STATS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uk_ktls_stats {
	int64_t	active;			/* live sessions */
	int64_t	enable_calls;		/* TX and RX enables, ok or not */
	int64_t	offload_total;		/* sessions created */
	int64_t	sw_tx;			/* live software TX sessions */
	int64_t	sw_rx;
	int64_t	ifnet_tx;
	int64_t	toe_tx;
	int64_t	toe_rx;
	int64_t	tx_gcm, tx_cbc, tx_chacha;	/* live TX by cipher */
	int64_t	rx_gcm, rx_cbc, rx_chacha;	/* live RX by cipher */
	int64_t	sw_tx_inqueue;		/* batches queued to workers */
	int64_t	sw_tx_pending;		/* TLS 1.0 batches waiting their turn */
	int64_t	sw_rx_inqueue;
	int64_t	tasks_active;
	int64_t	encrypt_records;	/* records encrypted */
	int64_t	decrypt_records;	/* records decrypted */
	int64_t	inplace;		/* encrypted in place (write) */
	int64_t	separate_output;	/* into new pages (sendfile) */
	int64_t	failed_crypto;
	int64_t	corrupted_records;
	/* TCP_TXTLS_MODE switches between software and ifnet. */
	int64_t	switch_to_ifnet;
	int64_t	switch_to_sw;
	int64_t	switch_failed;
	/* The simulated ifnet TLS NIC (docs/devices.md). */
	int64_t	ifnet_records;		/* records encrypted in order */
	int64_t	ifnet_resyncs;		/* out-of-order segments: resync */
	int64_t	ifnet_dump_bytes;	/* record prefixes re-read (DUMP) */
	int64_t	ifnet_crypto_bytes;	/* payload bytes the NIC encrypted */
	int64_t	ifnet_failed;		/* records the NIC could not do */
};

/* A snapshot of the counters; 0, or -1 with EINVAL for a NULL pointer. */
int	uk_ktls_stats(struct uk_ktls_stats *st);

/*
 * sysctlbyname() for an integer: *oldval gets the current value (if
 * oldval is not NULL), then the value becomes *newval (if newval is not
 * NULL).  0, or -1 with ENOENT for an unknown name.
 */
int	uk_sysctl_int(const char *name, int *oldval, const int *newval);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_STATS_H */
