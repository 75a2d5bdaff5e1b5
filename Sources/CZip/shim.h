#ifndef SPOOLSWEEP_CZIP_SHIM_H
#define SPOOLSWEEP_CZIP_SHIM_H
#include <zip.h>
#endif
