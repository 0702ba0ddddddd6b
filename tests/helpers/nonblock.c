/*
 * nonblock -- run a command with standard output set O_NONBLOCK, as some
 * programs leave it in a pipeline.  Usage: nonblock CMD [ARG]...
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL);

	if (argc < 2 || fl < 0 || fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) < 0) {
		fprintf(stderr, "usage: nonblock CMD [ARG]...\n");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
