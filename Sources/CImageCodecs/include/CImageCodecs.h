#ifndef STYLEFARM_CIMAGECODECS_H
#define STYLEFARM_CIMAGECODECS_H
/* C shims around libpng and libjpeg. Both libraries report errors with setjmp/longjmp, which must not
 * cross Swift frames, so every call into them happens here and returns an error code and message. */

/// The libpng version this binary was linked against, e.g. "1.6.39".
const char *sf_png_library_version(void);

#endif
