/* SPDX-License-Identifier: MIT */
/*
 * UUID v4 (random) and v7 (time-ordered) from libsodium's CSPRNG, and the
 * textual check. Thread-safe once lcw_crypto_init has run.
 */
#include "lcw/common.h"

#include <sodium.h>

static void uuid_format(const unsigned char b[16], char out[UUID_STR_LEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

int lcw_crypto_init(void)
{
    return sodium_init() < 0 ? LCW_EINTERNAL : 0;
}

void lcw_random_bytes(void *out, size_t n)
{
    randombytes_buf(out, n);
}

void uuid_v4(char out[UUID_STR_LEN])
{
    unsigned char b[16];

    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(b, out);
}

void uuid_v7(int64_t ms, char out[UUID_STR_LEN])
{
    unsigned char b[16];
    uint64_t t = (uint64_t)ms;

    randombytes_buf(b, sizeof(b));
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(t >> (40 - 8 * i));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(b, out);
}

bool uuid_valid(const char *s, size_t len)
{
    if (!s || len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        char c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}
