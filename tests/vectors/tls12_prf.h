/*
 * The TLS 1.2 PRF (P_SHA256) test vector published on the IETF TLS
 * working group list and reused by many implementations' self-tests:
 * PRF(secret, "test label", seed), first 100 bytes.
 */
#ifndef UKTLS_VECTORS_TLS12_PRF_H
#define UKTLS_VECTORS_TLS12_PRF_H

#define	TLS12_PRF_SHA256_SECRET	\
	"9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"
#define	TLS12_PRF_SHA256_SEED	\
	"a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"
#define	TLS12_PRF_SHA256_LABEL	"test label"
#define	TLS12_PRF_SHA256_OUT	\
	"e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53"	\
	" c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"	\
	" 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af"	\
	" 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"	\
	" 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba"	\
	" a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"	\
	" 87 34 7b 66"

#endif /* UKTLS_VECTORS_TLS12_PRF_H */
