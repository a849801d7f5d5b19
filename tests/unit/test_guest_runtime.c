/*
 * test_guest_runtime.c - the pure parts of the guest runtime
 * (examples/runtime/guest.c) run on the host: number formatting and the
 * message buffer that GUEST_PRINT messages are built in. Port I/O and
 * ucalls need a VM; tests/kvm/test_examples.c covers those.
 *
 * guest.c defines its own memcpy/memset/memmove/memcmp (GCC may call
 * them in freestanding code); they are renamed here so they do not
 * replace the C library's in this test program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#define memcpy	guest_memcpy
#define memmove guest_memmove
#define memset	guest_memset
#define memcmp	guest_memcmp
#include "../../examples/runtime/guest.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp

static void gbuf_dec_prints_zero_and_the_largest_u64(void **state)
{
	(void)state;
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_dec(&b, 0);
	gbuf_str(&b, " ");
	gbuf_dec(&b, UINT64_MAX);
	gbuf_str(&b, " ");
	gbuf_dec(&b, 4294967296ULL); /* crosses the 32-bit halves */
	assert_string_equal(b.s, "0 18446744073709551615 4294967296");
	assert_int_equal(b.len, strlen(b.s));
}

static void gbuf_hex_drops_leading_zeros_but_keeps_one_digit(void **state)
{
	(void)state;
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_hex(&b, 0);
	gbuf_str(&b, " ");
	gbuf_hex(&b, 0x42);
	gbuf_str(&b, " ");
	gbuf_hex(&b, 0xfedcba9876543210ULL);
	assert_string_equal(b.s, "0x0 0x42 0xfedcba9876543210");
}

static void gbuf_cuts_long_text_and_stays_terminated(void **state)
{
	(void)state;
	struct guest_buf b = GUEST_BUF_INIT;
	char big[300];

	guest_memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gbuf_str(&b, big);
	gbuf_hex(&b, 0x1234); /* no room left: ignored, no overflow */
	assert_int_equal(b.len, MVM_UCALL_TEXT - 1);
	assert_int_equal(b.s[MVM_UCALL_TEXT - 1], '\0');
	assert_int_equal(strlen(b.s), MVM_UCALL_TEXT - 1);
}

static void runtime_memmove_handles_overlap_both_ways(void **state)
{
	(void)state;
	char s[] = "abcdef";

	guest_memmove(s + 2, s, 4); /* forwards overlap: copy from the end */
	assert_string_equal(s, "ababcd");
	guest_memmove(s, s + 2, 4); /* backwards overlap */
	assert_string_equal(s, "abcdcd");
	assert_true(guest_memcmp("abc", "abd", 3) < 0);
	assert_int_equal(guest_memcmp("abc", "abc", 3), 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(gbuf_dec_prints_zero_and_the_largest_u64),
		cmocka_unit_test(
			gbuf_hex_drops_leading_zeros_but_keeps_one_digit),
		cmocka_unit_test(gbuf_cuts_long_text_and_stays_terminated),
		cmocka_unit_test(runtime_memmove_handles_overlap_both_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
