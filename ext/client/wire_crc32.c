/*
 * crc32.c: CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), which
 * DynamoDB sends in x-amz-crc32 over every answer's body.
 *
 * Eight bytes a step with eight tables ("slicing-by-8"): a GetItem answer
 * is about 1 KiB and is checked on every call, where a byte-at-a-time loop
 * cost about as much as parsing the answer.  The tables are built once per
 * process under pthread_once, so no thread reads one half-built.  Bytes are
 * assembled explicitly, so the result does not depend on the byte order.
 */
#include <pthread.h>
#include <stdint.h>

#include "wire_response.h"

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    /* table[k][i]: the CRC of byte i followed by k zero bytes. */
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
}

/* The four bytes at P as a little-endian number. */
static inline uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint32_t
dynamop_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;

    pthread_once(&table_once, build_tables);
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = le32(p) ^ crc;

        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
              table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][p[4]] ^
              table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
    }
    for (; len > 0; p++, len--)
        crc = table[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}
