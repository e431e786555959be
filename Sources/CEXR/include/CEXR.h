#ifndef STYLEFARM_CEXR_H
#define STYLEFARM_CEXR_H
/* A C interface over OpenEXR 3.1 (libopenexr-dev), for Swift. OpenEXR reports errors with C++ exceptions,
 * which must not cross into Swift: every call into it happens in exr_codec.cpp inside try/catch and comes back
 * as a result code and a message. Nothing here keeps state between calls. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes.
enum {
    SF_EXR_OK = 0,
    SF_EXR_CORRUPT = 1,         /* not a valid OpenEXR file, or a part of it is damaged */
    SF_EXR_TRUNCATED = 2,       /* the file ends before the image does */
    SF_EXR_TOO_LARGE = 3,       /* the data window exceeds the caller's pixel limit (info's windows are set) */
    SF_EXR_UNSUPPORTED = 4,     /* valid, but not an image StyleFarm reads (deep data, no RGB/Y channels) */
    SF_EXR_OUT_OF_MEMORY = 5,
    SF_EXR_INVALID_ARGUMENT = 6
};

/// What a file's header says of the part and layer that were read.
typedef struct sf_exr_info {
    int32_t data_x0, data_y0, data_x1, data_y1;          /* the data window, inclusive */
    int32_t display_x0, display_y0, display_x1, display_y1;
    uint32_t channels;      /* samples per pixel in the decoded buffer: 1 (Y), 3 (RGB) or 4 (RGBA, or YA) */
    uint32_t has_alpha;
    uint32_t half;          /* the colour channels are stored as 16-bit half floats (else 32-bit float or uint) */
    uint32_t compression;   /* OpenEXR's Compression: 0 none, 1 RLE, 2 ZIPS, 3 ZIP, 4 PIZ, 5 PXR24, 6 B44, 7 B44A, 8 DWAA, 9 DWAB */
    uint32_t tiled;
    uint32_t parts;         /* parts in the file (the first is read) */
} sf_exr_info;

/// Decodes the RGB(A) channels — or the luminance Y(A) — of the first part of an OpenEXR file held in memory:
/// scanline or tiled, any compression, half, float or uint samples, as 32-bit floats interleaved row by row over
/// the data window (a Y image comes back as 1 channel; YA as 4, with Y copied to RGB). `layer`: the channels' layer prefix ("diffuse" reads diffuse.R, diffuse.G, …); NULL or "" for the
/// unnamed layer. The data window is checked against `max_pixels` before anything is allocated. On success
/// `*pixels` is malloc'd (free with sf_exr_free); on failure nothing is left allocated and `message` says why.
int sf_exr_decode(const uint8_t *data, size_t size, const char *layer, uint64_t max_pixels,
                  sf_exr_info *info, float **pixels, char *message, size_t message_capacity);

/// How to encode: `channels` 1 (Y), 3 (RGB) or 4 (RGBA); `half` 1 for 16-bit half floats, 0 for 32-bit floats;
/// `compression` as in sf_exr_info.
typedef struct sf_exr_encode_options {
    uint32_t channels;
    uint32_t half;
    uint32_t compression;
} sf_exr_encode_options;

/// Encodes `width`×`height` interleaved float pixels as a scanline OpenEXR file in memory (data window = display
/// window, origin 0). On success `*out` is malloc'd (free with sf_exr_free) and `*out_size` set.
int sf_exr_encode(const float *pixels, uint32_t width, uint32_t height, const sf_exr_encode_options *options,
                  uint8_t **out, size_t *out_size, char *message, size_t message_capacity);

/// Frees memory returned by this module. NULL is fine.
void sf_exr_free(void *pointer);

/// The OpenEXR library version, e.g. "3.1.5".
const char *sf_exr_library_version(void);

#ifdef __cplusplus
}
#endif
#endif
