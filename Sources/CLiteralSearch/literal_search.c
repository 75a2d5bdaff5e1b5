#include "literal_search.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
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

/* What the vector loops share: the search, and where they stopped (*next: the first start
   position they did not look at). */
struct search {
    const uint8_t *haystack, *needle;
    size_t n, m, rare1, rare2, last;
    int caseless;
};

/* The candidates in mask (bit j: start position i + j), first to last: the first whole match,
   -1 when there is none, -2 to go on. */
static inline long check_mask(const struct search *s, size_t i, unsigned mask) {
    while (mask) {
        size_t at = i + (size_t)__builtin_ctz(mask);
        if (at > s->last) return -1;
        if (same_at(s->haystack + at, s->needle, s->m, s->caseless)) return (long)at;
        mask &= mask - 1;
    }
    return -2;
}

/* A letter is compared with bit 0x20 set when caseless: that folds its case exactly (a byte
   with 0x20 set equals a lower-case letter only if it is that letter in either case). */
static inline uint8_t case_bit(const struct search *s, uint8_t b) {
    return s->caseless && b >= 'a' && b <= 'z' ? 0x20 : 0;
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static long search_avx2(const struct search *s, size_t *next) {
    const uint8_t b1 = s->needle[s->rare1], b2 = s->needle[s->rare2];
    const __m256i want1 = _mm256_set1_epi8((char)b1), want2 = _mm256_set1_epi8((char)b2);
    const __m256i bit1 = _mm256_set1_epi8((char)case_bit(s, b1)), bit2 = _mm256_set1_epi8((char)case_bit(s, b2));
    const size_t reach = (s->rare1 > s->rare2 ? s->rare1 : s->rare2) + 32;
    size_t i = *next;
    while (i <= s->last && s->n - i >= reach) {
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(s->haystack + i + s->rare1));
        __m256i c2 = _mm256_loadu_si256((const __m256i *)(s->haystack + i + s->rare2));
        __m256i hit = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(c1, bit1), want1),
                                       _mm256_cmpeq_epi8(_mm256_or_si256(c2, bit2), want2));
        unsigned mask = (unsigned)_mm256_movemask_epi8(hit);
        if (mask) {
            long r = check_mask(s, i, mask);
            if (r != -2) return r;
        }
        i += 32;
    }
    *next = i;
    return -2;
}
#endif

#if defined(__SSE2__)
static long search_sse2(const struct search *s, size_t *next) {
    const uint8_t b1 = s->needle[s->rare1], b2 = s->needle[s->rare2];
    const __m128i want1 = _mm_set1_epi8((char)b1), want2 = _mm_set1_epi8((char)b2);
    const __m128i bit1 = _mm_set1_epi8((char)case_bit(s, b1)), bit2 = _mm_set1_epi8((char)case_bit(s, b2));
    const size_t reach = (s->rare1 > s->rare2 ? s->rare1 : s->rare2) + 16;
    size_t i = *next;
    while (i <= s->last && s->n - i >= reach) {
        __m128i c1 = _mm_loadu_si128((const __m128i *)(s->haystack + i + s->rare1));
        __m128i c2 = _mm_loadu_si128((const __m128i *)(s->haystack + i + s->rare2));
        __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(c1, bit1), want1),
                                    _mm_cmpeq_epi8(_mm_or_si128(c2, bit2), want2));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) {
            long r = check_mask(s, i, mask);
            if (r != -2) return r;
        }
        i += 16;
    }
    *next = i;
    return -2;
}
#endif

long spoolsweep_find_literal(const uint8_t *haystack, size_t n, const uint8_t *needle, size_t m,
                             size_t rare1, size_t rare2, int caseless) {
    if (m == 0 || m > n) return m == 0 ? 0 : -1;
    struct search s = {haystack, needle, n, m, rare1, rare2, n - m, caseless};
    size_t i = 0;
    long r;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2") && (r = search_avx2(&s, &i)) != -2) return r;
#endif
#if defined(__SSE2__)
    if ((r = search_sse2(&s, &i)) != -2) return r;
#endif
    (void)r;
    const uint8_t b1 = needle[rare1], b2 = needle[rare2];
    for (; i <= s.last; i++) {
        if (byte_fits(haystack[i + rare1], b1, caseless) && byte_fits(haystack[i + rare2], b2, caseless)
            && same_at(haystack + i, needle, m, caseless))
            return (long)i;
    }
    return -1;
}
