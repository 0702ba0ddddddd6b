/*
 * message.h -- errors into words on standard error: the one place that
 * writes the program's name and names the options that help.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include "util/error.h"

#define PROGRAM "aiowrite-cli"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Print every kept error, sorted by place (FILE:LINE:COL: message, or
 * "aiowrite-cli: message"), then how many more there were; empty the list.
 * Returns EXIT_USAGE. */
int complain(struct errors *es);
/* One message without a place, printed at once: "aiowrite-cli: ...". */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
