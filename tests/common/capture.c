/*
 * capture.c - collect what a device under test writes (see capture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "capture.h"

void capture_append(char *buf, size_t cap, size_t *len, const char *data,
		    size_t n)
{
	assert_true(*len <= cap && n <= cap - *len);
	memcpy(buf + *len, data, n);
	*len += n;
}
