/*
 * util.c - small file helpers for the container runtime.
 *
 * Most of the kernel's container interface is files: cgroup limits
 * (memory.max), user namespace maps (/proc/PID/uid_map), statistics
 * (memory.events). These helpers read and write such files and return
 * -errno, so each caller can say which file failed. The parsers for
 * --memory and --cpus are here too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr_internal.h"

/* Write a formatted string with ONE write(2): kernel control files act on
 * each write, and a partial line would be rejected (cgroup-v2.rst). */
int ctr_write_file(const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, fd, err = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* Read up to len-1 bytes and NUL-terminate; returns the length. */
int ctr_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

/* Find "key value" in a flat-keyed file such as memory.events. */
int ctr_read_key(const char *path, const char *key, uint64_t *val)
{
	char buf[4096], *p;
	size_t klen = strlen(key);
	int n = ctr_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			*val = strtoull(p + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* mkdir -p: existing directories are fine. Used for the cgroup parent
 * ("minivmm") and the overlay layers, which may or may not exist yet. */
int ctr_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* rm -rf of a directory we created (overlay scratch space). Does not
 * follow symbolic links: unlinkat() removes the link itself. */
static int rm_at(int at, const char *name)
{
	struct dirent *d;
	DIR *dir;
	int fd, err = 0;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	/* overlayfs leaves its work/work directory with mode 000. */
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0 && errno == EACCES && fchmodat(at, name, 0700, 0) == 0)
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			err = err ? err : rm_at(dirfd(dir), d->d_name);
	}
	closedir(dir);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && !err)
		err = -errno;
	return err;
}

int ctr_rm_rf(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

/* snprintf() for paths: a path that does not fit becomes "" (so that the
 * open/mkdir/rmdir on it fails) instead of a shorter, different path. */
int ctr_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

/* "64M" -> 67108864. Suffixes are binary (k = 1024), as in cgroups. */
int mvm_ctr_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || v == 0 || v > (~0ULL >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* "1.5" -> 1500 millis of CPU per second of wall time. */
int mvm_ctr_parse_cpus(const char *s, unsigned *millis)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	v = strtod(s, &end);
	if (*end || !(v >= 0.01) || v > 1024)
		return -EINVAL;
	*millis = (unsigned)(v * 1000 + 0.5);
	return 0;
}
