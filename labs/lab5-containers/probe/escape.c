/*
 * escape.c - try to leave the container's root, the way an attacker in a
 * badly built container would. Run inside the container by the Lab 5
 * grader (test_rootfs.c); prints one "name=result" line per attempt.
 *
 *   escape-probe HOSTPATH
 *
 * The attempts:
 *   direct    open HOSTPATH as is
 *   proc1     open /proc/1/root/HOSTPATH (PID 1's idea of "/")
 *   chroot    the classic chroot escape: keep a directory fd, chroot()
 *             into a subdirectory, fchdir() back out of it and climb
 *             "..": chroot() only changes where "/" resolves, so the
 *             climb ends at the *real* root of the mount namespace. With
 *             pivot_root and the old root detached, that real root is
 *             the container's own root; with a plain chroot() into the
 *             rootfs it is the host's.
 *   tiocsti   push a character into the input of the terminal on fd 0
 *             (ioctl TIOCSTI), which the host's shell would read once
 *             the container is gone; the seccomp filter answers EPERM
 *             (on a non-terminal fd 0 the kernel itself says ENOTTY)
 *
 * Built static (no libc in the busybox rootfs) by lab.mk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* "secret" if path opens and reads, else the errno name. */
static const char *try_read(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return strerror(errno);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static const char *chroot_escape(const char *path)
{
	int i, fd = open("/", O_RDONLY | O_DIRECTORY);

	if (fd < 0 || (mkdir("/tmp/.escape", 0700) < 0 && errno != EEXIST))
		return "setup failed";
	if (chroot("/tmp/.escape") < 0)
		return strerror(errno);
	/* Our cwd is now outside our root: ".." is never stopped by it. */
	if (fchdir(fd) < 0)
		return strerror(errno);
	for (i = 0; i < 64; i++)
		if (chdir("..") < 0)
			return strerror(errno);
	if (chroot(".") < 0)
		return strerror(errno);
	return try_read(path);
}

int main(int argc, char **argv)
{
	char proc[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: escape-probe HOSTPATH\n");
		return 2;
	}
	snprintf(proc, sizeof(proc), "/proc/1/root%s", argv[1]);
	printf("direct=%s\n", try_read(argv[1]));
	printf("proc1=%s\n", try_read(proc));
	printf("tiocsti=%s\n",
	       ioctl(0, TIOCSTI, "#") < 0 ? strerror(errno) : "injected");
	printf("chroot=%s\n", chroot_escape(argv[1]));
	return 0;
}
