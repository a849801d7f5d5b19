/*
 * capture.h - collect what a device under test writes, for unit tests
 * that hand the library an output callback (debugcon, UART, ucall).
 */
#ifndef MINIVMM_TEST_CAPTURE_H
#define MINIVMM_TEST_CAPTURE_H

#include <stddef.h>

/* Append n bytes of data to buf (cap bytes, *len of them used). Fails
 * the test rather than truncate: a device that writes more than the
 * test expects is itself a finding. */
void capture_append(char *buf, size_t cap, size_t *len, const char *data,
		    size_t n);

#endif
