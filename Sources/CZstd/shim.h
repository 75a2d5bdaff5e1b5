#ifndef SPOOLSWEEP_CZSTD_SHIM_H
#define SPOOLSWEEP_CZSTD_SHIM_H
#include <zstd.h>
#endif
