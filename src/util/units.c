/* units.c -- sizes for people (the report, the progress line). */
#include <stdio.h>

#include "util/units.h"

const char *human_size(char *buf, size_t size, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = 0;

	while (bytes >= 1024 && u < 6) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
	return buf;
}

const char *short_size(char *buf, size_t size, uint64_t bytes)
{
	static const char suffix[] = "KMGTPE";
	int u = 0;

	while (u < 6 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, size, "%llu%c", (unsigned long long)bytes, suffix[u - 1]);
	else
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
	return buf;
}

const char *dec128(char *buf, __int128 v)
{
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char tmp[DEC128_BUF];
	size_t n = 0, k = 0;

	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = tmp[--n];
	buf[k] = '\0';
	return buf;
}
