#ifndef SPOOLSWEEP_CPCRE2_SHIM_H
#define SPOOLSWEEP_CPCRE2_SHIM_H
/* spoolsweep matches bytes: the 8-bit library, UTF-8 mode. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* PCRE2_ZERO_TERMINATED and PCRE2_UNSET are macros Swift cannot import. */
static inline PCRE2_SIZE spoolsweep_pcre2_unset(void) { return PCRE2_UNSET; }
#endif
