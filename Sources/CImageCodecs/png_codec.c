#include "CImageCodecs.h"
#include <png.h>

const char *sf_png_library_version(void) { return png_get_libpng_ver(NULL); }
