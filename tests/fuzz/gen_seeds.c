/*
 * Writes seed inputs for fuzz_model_record: one valid stream of three
 * records per suite, sealed by the model with the target's fixed keys.
 * Run by hand when the input format changes: gen_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tls_record.h"

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
main(int argc, char **argv)
{
	static const uint8_t civ[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	uint8_t key[32], iv[16], mkey[48], buf[4096], pt[300];
	struct tlsm_seal_opts opts;
	struct tlsm_state st;
	size_t i, r, len, n;
	char path[512];
	FILE *fp;

	if (argc != 2)
		return (2);
	memset(key, 0x11, sizeof(key));
	memset(iv, 0x22, sizeof(iv));
	memset(mkey, 0x33, sizeof(mkey));
	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	memset(&opts, 0, sizeof(opts));
	opts.explicit_iv = civ;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (tlsm_init(&st, suites[i].version, suites[i].cipher,
		    suites[i].mac, key, suites[i].key_len, iv,
		    suites[i].iv_len, mkey, tlsm_mac_len(suites[i].mac)) != 0)
			return (1);
		buf[0] = (uint8_t)i;
		memset(buf + 1, 0, 7);
		buf[8] = 5;			/* sequence number 5 */
		len = 9;
		for (r = 0; r < 3; r++) {
			if (tlsm_seal(&st, 5 + r, r == 1 ? 21 : 23, pt,
			    r == 1 ? 2 : 100 * r + 1, &opts, buf + len,
			    sizeof(buf) - len, &n) != 0)
				return (1);
			len += n;
		}
		snprintf(path, sizeof(path), "%s/seed-%02zu", argv[1], i);
		fp = fopen(path, "wb");
		if (fp == NULL || fwrite(buf, 1, len, fp) != len)
			return (1);
		fclose(fp);
	}
	return (0);
}
