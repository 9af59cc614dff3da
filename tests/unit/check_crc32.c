/*
 * check_crc32.c: dynamop_crc32 (ext/crc32.c), the x-amz-crc32 check of
 * every DynamoDB answer: the standard check values, and agreement with a
 * bit-at-a-time reference at every length and alignment around the
 * eight-byte steps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

/* ext/internal.h, not core/internal.h (both directories are on the include
 * path, core first). */
#include "ext/client/internal.h"
#include "wire_response.h"
#include "testutil.h"

/* CRC-32 one bit at a time: the definition, nothing shared with crc32.c. */
static uint32_t
reference(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    while (n-- > 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

START_TEST(test_check_values)
{
    static const char fox[] = "The quick brown fox jumps over the lazy dog";

    ck_assert_uint_eq(dynamop_crc32("", 0), 0);
    ck_assert_uint_eq(dynamop_crc32("123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(dynamop_crc32(fox, sizeof(fox) - 1), 0x414fa339u);
    /* The x-amz-crc32 DynamoDB Local sends with "{}" (GetItem, no such key). */
    ck_assert_uint_eq(dynamop_crc32("{}", 2), 2745614147u);
}
END_TEST

START_TEST(test_matches_reference)
{
    unsigned char buf[300 + 8];
    unsigned seed = 20261202;

    for (size_t i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof(buf); n++)
            ck_assert_msg(dynamop_crc32(buf + off, n) == reference(buf + off, n),
                          "length %zu at offset %zu", n, off);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("crc32");
    TCase *tc = tcase_create("crc32");

    tcase_add_checked_fixture(tc, NULL, tu_leak_check);
    tcase_add_test(tc, test_check_values);
    tcase_add_test(tc, test_matches_reference);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
