/*
 * Fuzz target: the model's record framing and opening (model/).
 *
 * Input: one byte choosing the suite, eight bytes of sequence number,
 * then a byte stream that is split into records with tlsm_next_record()
 * and opened with tlsm_open().  Every outcome is legal except a crash, a
 * sanitizer report, or an accepted record whose plaintext is larger than
 * the record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint16_t	version;
	enum tlsm_cipher cipher;
	enum tlsm_mac	mac;
	size_t		key_len, iv_len;
} suites[] = {
	{ TLSM_V12, TLSM_GCM, TLSM_MAC_NONE, 16, 4 },
	{ TLSM_V13, TLSM_GCM, TLSM_MAC_NONE, 32, 12 },
	{ TLSM_V12, TLSM_CHACHA, TLSM_MAC_NONE, 32, 12 },
	{ TLSM_V13, TLSM_CHACHA, TLSM_MAC_NONE, 32, 12 },
	{ TLSM_V11, TLSM_CBC, TLSM_MAC_SHA1, 16, 0 },
	{ TLSM_V12, TLSM_CBC, TLSM_MAC_SHA256, 32, 0 },
	{ TLSM_V12, TLSM_CBC, TLSM_MAC_SHA384, 16, 0 },
	{ TLSM_V10, TLSM_CBC, TLSM_MAC_SHA1, 16, 16 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[TLSM_MAX_PLAINTEXT + 2048];
	uint8_t key[32], iv[16], mkey[48];
	struct tlsm_state st;
	size_t i, off, reclen, outlen;
	uint64_t seq;
	uint8_t type;
	int error;

	if (size < 9)
		return (0);
	i = data[0] % (sizeof(suites) / sizeof(suites[0]));
	seq = tlsm_be64dec(data + 1);
	data += 9;
	size -= 9;
	memset(key, 0x11, sizeof(key));
	memset(iv, 0x22, sizeof(iv));
	memset(mkey, 0x33, sizeof(mkey));
	if (tlsm_init(&st, suites[i].version, suites[i].cipher,
	    suites[i].mac, key, suites[i].key_len, iv, suites[i].iv_len,
	    mkey, tlsm_mac_len(suites[i].mac)) != 0)
		abort();
	for (off = 0; off < size; off += reclen) {
		error = tlsm_next_record(&st, data + off, size - off, &reclen,
		    NULL);
		if (error != 0)
			break;
		if (reclen == 0 || reclen > size - off)
			abort();
		error = tlsm_open(&st, seq++, data + off, reclen, &type, out,
		    sizeof(out), &outlen);
		if (error == 0 && outlen > reclen)
			abort();
	}
	return (0);
}
