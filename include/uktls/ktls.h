/*
 * The KTLS user interface, as FreeBSD's sys/sys/ktls.h and netinet/tcp.h
 * define it: the structures an application hands to setsockopt() and
 * sendmsg()/recvmsg(), and their constants, with FreeBSD's values.
 *
 * This header is shared by both worlds (the kernel includes it through
 * sys/ktls.h), so it uses only <stdint.h>.
 */
#ifndef UKTLS_KTLS_H
#define UKTLS_KTLS_H

#include <stdint.h>

/* A TLS record header on the wire. */
struct tls_record_layer {
	uint8_t		tls_type;
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint16_t	tls_length;	/* network byte order */
	uint8_t		tls_data[];
} __attribute__((__packed__));

#define	TLS_MAX_MSG_SIZE_V10_2	16384
#define	TLS_MAX_PARAM_SIZE	1024	/* max key/IV length */
#define	TLS_AEAD_GCM_LEN	4
#define	TLS_1_3_GCM_IV_LEN	12
#define	TLS_CHACHA20_IV_LEN	12
#define	TLS_CBC_IMPLICIT_IV_LEN	16

/* RFC 5288 nonce: 4 salt bytes from the key block, 8 explicit. */
struct tls_nonce_data {
	uint8_t		fixed[TLS_AEAD_GCM_LEN];
	uint64_t	seq;
} __attribute__((__packed__));

/* TLS 1.2 AEAD additional data (RFC 5246 6.2.3.3). */
struct tls_aead_data {
	uint64_t	seq;		/* big endian */
	uint8_t		type;
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint16_t	tls_length;	/* plaintext length, big endian */
} __attribute__((__packed__));

/* TLS 1.3 AEAD additional data: the outer record header (RFC 8446 5.2). */
struct tls_aead_data_13 {
	uint8_t		type;
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint16_t	tls_length;	/* record length, big endian */
} __attribute__((__packed__));

/* CBC MAC input header (RFC 5246 6.2.3.1). */
struct tls_mac_data {
	uint64_t	seq;
	uint8_t		type;
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint16_t	tls_length;
} __attribute__((__packed__));

#define	TLS_MAJOR_VER_ONE	3
#define	TLS_MINOR_VER_ZERO	1	/* 3, 1 */
#define	TLS_MINOR_VER_ONE	2	/* 3, 2 */
#define	TLS_MINOR_VER_TWO	3	/* 3, 3 */
#define	TLS_MINOR_VER_THREE	4	/* 3, 4 */

#define	TLS_RLTYPE_ALERT	21
#define	TLS_RLTYPE_HANDSHAKE	22
#define	TLS_RLTYPE_APP		23

/* Key material for TCP_TXTLS_ENABLE / TCP_RXTLS_ENABLE. */
struct tls_enable {
	const uint8_t	*cipher_key;
	const uint8_t	*iv;		/* implicit IV / salt */
	const uint8_t	*auth_key;
	int		cipher_algorithm;	/* CRYPTO_* */
	int		cipher_key_len;
	int		iv_len;
	int		auth_algorithm;		/* CRYPTO_* */
	int		auth_key_len;
	int		flags;			/* must be 0 */
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint8_t		rec_seq[8];		/* initial sequence, big endian */
};

/* Control message data of TLS_GET_RECORD (not packed: 6 bytes). */
struct tls_get_record {
	uint8_t		tls_type;
	uint8_t		tls_vmajor;
	uint8_t		tls_vminor;
	uint16_t	tls_length;	/* plaintext length, network order */
};

#define	KTLS_TX		1
#define	KTLS_RX		2

/* Socket options, level IPPROTO_TCP (netinet/tcp.h). */
#define	TCP_TXTLS_ENABLE	39
#define	TCP_TXTLS_MODE		40
#define	TCP_RXTLS_ENABLE	41
#define	TCP_RXTLS_MODE		42

#define	TCP_TLS_MODE_NONE	0
#define	TCP_TLS_MODE_SW		1
#define	TCP_TLS_MODE_IFNET	2
#define	TCP_TLS_MODE_TOE	3

/* Control messages, level IPPROTO_TCP. */
#define	TLS_SET_RECORD_TYPE	1
#define	TLS_GET_RECORD		2

/* Algorithm identifiers (opencrypto/cryptodev.h). */
#define	CRYPTO_SHA1_HMAC	7
#define	CRYPTO_AES_CBC		11
#define	CRYPTO_SHA2_256_HMAC	18
#define	CRYPTO_SHA2_384_HMAC	19
#define	CRYPTO_AES_ICM		23
#define	CRYPTO_AES_NIST_GCM_16	25
#define	CRYPTO_CHACHA20_POLY1305 41

#define	SHA1_HASH_LEN		20
#define	SHA2_256_HASH_LEN	32
#define	SHA2_384_HASH_LEN	48
#define	AES_GMAC_HASH_LEN	16
#define	POLY1305_HASH_LEN	16
#define	AES_BLOCK_LEN		16

#endif /* UKTLS_KTLS_H */
