/*
 * Replays a fuzz target's corpus without libFuzzer, so every ctest run
 * (with any compiler, under the sanitizers) exercises the inputs that
 * fuzzing found interesting.  Arguments are files or directories.
 *
 * Besides each file as it is, the driver feeds a fixed number of
 * deterministic mutations of it (bit flips, truncations, byte
 * insertions), so a corpus of a few seeds still covers the error paths.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define	MUTATIONS	64

static uint64_t rng = 0x5eed;

static uint64_t
next(void)
{

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

static void
run_mutations(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t i, len, pos;

	buf = malloc(size + 16);
	if (buf == NULL)
		abort();
	for (i = 0; i < MUTATIONS; i++) {
		memcpy(buf, data, size);
		len = size;
		pos = size > 0 ? next() % size : 0;
		switch (next() % 4) {
		case 0:
			if (len > 0)
				buf[pos] ^= 1u << (next() % 8);
			break;
		case 1:
			len = pos;
			break;
		case 2:
			memmove(buf + pos + 1, buf + pos, len - pos);
			buf[pos] = (uint8_t)next();
			len++;
			break;
		default:
			if (len > 0)
				buf[pos] = (uint8_t)next();
			break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	free(buf);
}

static int
run_file(const char *path)
{
	uint8_t *data;
	FILE *fp;
	long len;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return (-1);
	}
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	data = malloc(len > 0 ? len : 1);
	if (data == NULL || fread(data, 1, len, fp) != (size_t)len) {
		fprintf(stderr, "%s: read failed\n", path);
		fclose(fp);
		free(data);
		return (-1);
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, len);
	run_mutations(data, len);
	free(data);
	return (0);
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int i, n, bad;

	n = bad = 0;
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return (1);
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i]) != 0;
			n++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL)
			return (1);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			bad += run_file(path) != 0;
			n++;
		}
		closedir(d);
	}
	printf("%d inputs replayed, %d mutations each, %d unreadable\n", n,
	    MUTATIONS, bad);
	if (n == 0) {
		fprintf(stderr, "no corpus inputs found\n");
		return (1);
	}
	return (bad != 0);
}
