#ifndef SPOOLSWEEP_LITERAL_SEARCH_H
#define SPOOLSWEEP_LITERAL_SEARCH_H
/* A substring search (AVX2 or SSE2 where the CPU has them) for the literal a pattern requires: it rules out most bodies before
   PCRE2 runs (see Sources/SpoolsweepCore/Patterns/LiteralPrefilter.swift). */
#include <stddef.h>
#include <stdint.h>

/* The offset of the first occurrence of needle (m >= 1 bytes) in haystack (n bytes), or -1.
   Candidates are the positions where needle[rare1] and needle[rare2] (two of its rarest bytes,
   rare1, rare2 < m) both line up; each is then compared whole. With caseless, ASCII letters
   match either case: needle must then be given lower-cased. */
long spoolsweep_find_literal(const uint8_t *haystack, size_t n, const uint8_t *needle, size_t m,
                             size_t rare1, size_t rare2, int caseless);
#endif
