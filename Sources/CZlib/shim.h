#ifndef SPOOLSWEEP_CZLIB_SHIM_H
#define SPOOLSWEEP_CZLIB_SHIM_H
#include <zlib.h>
/* inflateInit2 is a macro Swift cannot import. */
static inline int spoolsweep_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 15 + 32); }
#endif
