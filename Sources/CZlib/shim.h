#ifndef SPOOLSWEEP_CZLIB_SHIM_H
#define SPOOLSWEEP_CZLIB_SHIM_H
#include <zlib.h>
/* inflateInit2 is a macro Swift cannot import. */
static inline int spoolsweep_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 15 + 32); }
/* deflateInit2 likewise: a gzip stream (window 15 + 16), the default level. */
static inline int spoolsweep_deflate_init_gzip(z_stream *s) {
    return deflateInit2(s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
