/*
 * escape.c - guest text made safe to show on a terminal (log.h).
 *
 * Everything a guest writes is untrusted input (STYLE.md 5), text
 * included. A terminal acts on control characters: ESC starts a control
 * sequence (ECMA-48 section 5.4) that can move the cursor, erase the
 * screen, hide text or retitle the window; CR goes back to column 0 and
 * lets later text overwrite a line; BS and DEL erase. A guest that could
 * send those to the user's terminal could erase or forge what the tools
 * print about it (a fake "guest finished (DONE)"). So tools pass guest
 * text through mvm_escape() before printing it, and a control byte shows
 * up as a visible escape: ESC as the four characters \x1b.
 *
 * The rule, byte by byte:
 *   0x20..0x7e (printable ASCII)   kept
 *   \n and \t                      kept with MVM_ESCAPE_KEEP_NL, else
 *                                  shown as \n and \t
 *   \r                             shown as \r
 *   any other byte (C0 controls, DEL, and every byte >= 0x80, which
 *   covers the C1 controls such as 0x9b CSI)   shown as \xNN
 * A backslash is kept as it is: the escapes are for people, not for a
 * parser, and guest text with backslashes stays readable.
 */
#include <stdio.h>

#include "internal.h"

/* The escape of one byte into tmp (at least 5 bytes); returns its
 * length. */
static size_t escape_byte(char *tmp, unsigned char c, unsigned flags)
{
	if ((c >= 0x20 && c < 0x7f) ||
	    ((flags & MVM_ESCAPE_KEEP_NL) && (c == '\n' || c == '\t'))) {
		tmp[0] = (char)c;
		return 1;
	}
	if (c == '\n' || c == '\t' || c == '\r') {
		tmp[0] = '\\';
		tmp[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		return 2;
	}
	snprintf(tmp, 5, "\\x%02x", c);
	return 4;
}

/* Like snprintf: the result is cut short to fit dst (never in the middle
 * of one escape) and NUL-terminated when size > 0; the return value is
 * the full length, so a caller can tell it was cut. */
size_t mvm_escape(char *dst, size_t size, const void *src, size_t len,
		  unsigned flags)
{
	const unsigned char *s = src;
	size_t total = 0, kept = 0;
	char tmp[5];

	for (size_t i = 0; i < len; i++) {
		size_t n = escape_byte(tmp, s[i], flags);

		if (kept == total && total + n < size) {
			for (size_t k = 0; k < n; k++)
				dst[kept++] = tmp[k];
		}
		total += n;
	}
	if (size)
		dst[kept] = '\0';
	return total;
}
