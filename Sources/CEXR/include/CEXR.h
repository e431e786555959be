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
    SF_EXR_INVALID_ARGUMENT = 6,
    SF_EXR_MISSING_CHANNEL = 7  /* a channel asked for by name is not in the file (the message names it) */
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

/// A header attribute of type "string" to write: `name` (1 to 255 bytes, not one of the attributes OpenEXR manages
/// itself: channels, compression, dataWindow, displayWindow, lineOrder, pixelAspectRatio, screenWindowCenter,
/// screenWindowWidth, tiles, type, name, version, chunkCount, maxSamplesPerPixel) and its `value` (any text,
/// newlines and JSON included; it ends at its NUL).
typedef struct sf_exr_attribute {
    const char *name;
    const char *value;
} sf_exr_attribute;

/// sf_exr_encode, and `attribute_count` string attributes added to the header (a later one of the same name wins).
/// `attributes` may be NULL when `attribute_count` is 0. An invalid attribute is SF_EXR_INVALID_ARGUMENT, nothing written.
int sf_exr_encode_with_attributes(const float *pixels, uint32_t width, uint32_t height,
                                  const sf_exr_encode_options *options, const sf_exr_attribute *attributes,
                                  size_t attribute_count, uint8_t **out, size_t *out_size, char *message,
                                  size_t message_capacity);

/// Rewrites a file with one layer's colour replaced and everything else passed through. Writes a single-part
/// scanline file with the first part's header (every attribute: windows, chromaticities, Cryptomatte and other
/// custom attributes, …) in which R, G, B of `layer` (NULL/"": "R", …; else "layer.R", …), and A when `channels`
/// is 4 (added if missing; with 3 an existing A passes through), hold `pixels`: `width`×`height` (must equal the
/// source's DATA window, else SF_EXR_INVALID_ARGUMENT) interleaved floats, `channels` (3 or 4) per pixel, stored
/// half or float per `options->half`. Every other channel keeps its name, type, sampling and pLinear flag and is
/// copied bit for bit. Compression is `options->compression` (`options->channels` must be 0 or `channels`); a
/// lossy method that would alter a passed-through channel (PXR24: float; B44/B44A: half; DWAA/DWAB: half/float
/// named *R, *G, *B, *Y, *RY, *BY, e.g. CryptoObject00.R) is SF_EXR_UNSUPPORTED naming it.
/// Limits: a tiled source comes out as scanlines (full-resolution level only; RANDOM_Y becomes INCREASING_Y); of a
/// multi-part source only the first part is kept, and on success `message` then says so (else it is set to "").
/// Deep data, a layer with only some of R, G, B or with subsampled ones: SF_EXR_UNSUPPORTED (a named layer the file has none of is added). `extra_attributes` (NULL when
/// `extra_count` is 0) add or replace (whatever their type) string attributes. The data window is checked against
/// `max_pixels` before anything is allocated; other channels are copied in strips of about 64 MiB. On success
/// `*out` is malloc'd (free with sf_exr_free) and `*out_size` set.
int sf_exr_replace_layer(const uint8_t *source, size_t source_size, const char *layer, uint64_t max_pixels,
                         const float *pixels, uint32_t width, uint32_t height, uint32_t channels,
                         const sf_exr_encode_options *options, const sf_exr_attribute *extra_attributes,
                         size_t extra_count, uint8_t **out, size_t *out_size, char *message,
                         size_t message_capacity);

/// Reads the channels `names[0..count)` (full names, e.g. "CryptoObject00.R", "depth.Z") of the first part as
/// 32-bit floats, interleaved: `count` per pixel in the order of `names`, row by row over the data window. Float
/// channels come back bit for bit (Cryptomatte IDs survive), half ones exactly widened, uint ones converted (exact
/// up to 2^24). A name may repeat. A name the file lacks is SF_EXR_MISSING_CHANNEL naming it; a subsampled channel
/// or deep data is SF_EXR_UNSUPPORTED. `info` is filled as by sf_exr_decode, with `channels` = `count`,
/// `has_alpha` 0 and `half` 1 when every named channel is stored as half. Limits and ownership as sf_exr_decode.
int sf_exr_read_channels(const uint8_t *data, size_t size, const char *const *names, size_t count,
                         uint64_t max_pixels, sf_exr_info *info, float **pixels, char *message,
                         size_t message_capacity);

/// The names of all channels of the first part, sorted as OpenEXR stores them, joined by '\n' into a malloc'd
/// NUL-terminated string (free with sf_exr_free; "" when there are none). Reads the header only (no pixels), so
/// it also works for deep files and files whose pixel data is truncated.
int sf_exr_channel_names(const uint8_t *data, size_t size, char **names_joined, char *message,
                         size_t message_capacity);

/// Every header attribute of type "string" of the first part, sorted by name, as "name\0value\0name\0value\0…"
/// in a malloc'd buffer of `*joined_size` bytes (free with sf_exr_free; never NULL on success, size 0 when there
/// are none). Values may hold newlines and JSON (e.g. Cryptomatte's "cryptomatte/<id>/manifest"); a value with an
/// embedded NUL is cut there. Other attribute types (stringvector, int, …) are left out. Reads the header only.
int sf_exr_string_attributes(const uint8_t *data, size_t size, char **joined, size_t *joined_size, char *message,
                             size_t message_capacity);

/// Frees memory returned by this module. NULL is fine.
void sf_exr_free(void *pointer);

/// The OpenEXR library version, e.g. "3.1.5".
const char *sf_exr_library_version(void);

#ifdef __cplusplus
}
#endif
#endif
