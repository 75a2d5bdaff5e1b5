#include "literal_search.h"
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline uint8_t fold(uint8_t b) { return (b >= 'A' && b <= 'Z') ? (uint8_t)(b | 0x20) : b; }

static inline int same_at(const uint8_t *at, const uint8_t *needle, size_t m, int caseless) {
    if (!caseless) return memcmp(at, needle, m) == 0;
    for (size_t k = 0; k < m; k++) {
        if (fold(at[k]) != needle[k]) return 0;
    }
    return 1;
}

/* Whether haystack byte b can be needle byte want (lower-cased when caseless). */
static inline int byte_fits(uint8_t b, uint8_t want, int caseless) {
    return caseless ? fold(b) == want : b == want;
}

long spoolsweep_find_literal(const uint8_t *haystack, size_t n, const uint8_t *needle, size_t m,
                             size_t rare1, size_t rare2, int caseless) {
    if (m == 0 || m > n) return m == 0 ? 0 : -1;
    const size_t last = n - m; /* the last position a match can start at */
    const uint8_t b1 = needle[rare1], b2 = needle[rare2];
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 start positions at a time: the bytes under rare1 and rare2 compared at once. A letter
       is compared with bit 0x20 set (that folds case; it also lets a few non-letters through,
       which the whole comparison then rules out). */
    const int fold1 = caseless && b1 >= 'a' && b1 <= 'z', fold2 = caseless && b2 >= 'a' && b2 <= 'z';
    const __m128i want1 = _mm_set1_epi8((char)b1), want2 = _mm_set1_epi8((char)b2);
    const __m128i bit1 = _mm_set1_epi8(fold1 ? 0x20 : 0), bit2 = _mm_set1_epi8(fold2 ? 0x20 : 0);
    const size_t reach = (rare1 > rare2 ? rare1 : rare2) + 16;
    while (i <= last && n - i >= reach) {
        __m128i c1 = _mm_loadu_si128((const __m128i *)(haystack + i + rare1));
        __m128i c2 = _mm_loadu_si128((const __m128i *)(haystack + i + rare2));
        __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(c1, bit1), want1),
                                    _mm_cmpeq_epi8(_mm_or_si128(c2, bit2), want2));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        while (mask) {
            size_t at = i + (size_t)__builtin_ctz(mask);
            if (at > last) return -1;
            if (same_at(haystack + at, needle, m, caseless)) return (long)at;
            mask &= mask - 1;
        }
        i += 16;
    }
#endif
    for (; i <= last; i++) {
        if (byte_fits(haystack[i + rare1], b1, caseless) && byte_fits(haystack[i + rare2], b2, caseless)
            && same_at(haystack + i, needle, m, caseless))
            return (long)i;
    }
    return -1;
}
