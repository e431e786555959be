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
    SF_EXR_UNSUPPORTED = 4,     /* valid, but not an image StyleFarm reads (deep data, no RGB/Y channels, more than 4096 parts) */
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
    uint32_t parts;         /* parts in the file (the one holding the layer, or the named channels, is read) */
} sf_exr_info;

/// Decodes the RGB(A) channels — or the luminance Y(A) — of an OpenEXR file held in memory: scanline or tiled, any
/// compression, half, float or uint samples, as 32-bit floats interleaved row by row over the data window (a Y
/// image comes back as 1 channel; YA as 4, with Y copied to RGB). `layer`: the channels' layer prefix ("diffuse"
/// reads diffuse.R, diffuse.G, …); NULL or "" for the unnamed layer.
/// The part read — "the part holding the layer", also for sf_exr_replace_layer — is, among the flat (scanline or
/// tiled, not deep) parts in file order: for the unnamed layer, the first with R, G and B (or Y); for a named layer
/// L, the first with L.R, L.G and L.B (or L.Y), else the first whose `name` attribute is L and that has unprefixed
/// R, G and B (or Y), read as the layer. A single-part file (also one flagged multi-part with one part) is read as
/// before (its only part); when no part of a multi-part file holds the layer: SF_EXR_UNSUPPORTED. A multi-part file may hold deep parts besides. `info`
/// describes the part read (`parts`: all of them). The data window is checked against `max_pixels` before
/// anything is allocated. On success `*pixels` is malloc'd (free with sf_exr_free); on failure nothing is left
/// allocated and `message` says why.
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

/// Rewrites a file with one layer's colour replaced and everything else passed through. The part holding the layer
/// (as sf_exr_decode picks it; a named layer no part holds is added to the first part, an unnamed one is
/// SF_EXR_UNSUPPORTED) is rewritten as a scanline part with its header (every attribute: name, windows,
/// chromaticities, Cryptomatte and other custom attributes, …) in which R, G, B of the layer (its prefix in that
/// part: "R", … for the unnamed layer or a part named `layer`; else "layer.R", …), and A when `channels` is 4
/// (added if missing; with 3 an existing A passes through), hold `pixels`: `width`×`height` (must equal that
/// part's DATA window, else SF_EXR_INVALID_ARGUMENT) interleaved floats, `channels` (3 or 4) per pixel, stored half
/// or float per `options->half`. Every other channel of that part keeps its name, type, sampling and pLinear flag
/// and is copied bit for bit. Compression is `options->compression` (`options->channels` must be 0 or `channels`);
/// a lossy method that would alter a passed-through channel (PXR24: float; B44/B44A: half; DWAA/DWAB: half/float
/// named *R, *G, *B, *Y, *RY, *BY, e.g. CryptoObject00.R) is SF_EXR_UNSUPPORTED naming it.
/// A single-part source gives a single-part file (as before). A multi-part source gives a multi-part file with the
/// same parts in the same order: every part but the rewritten one keeps its header (all attributes; chunkCount as
/// OpenEXR recomputes it) and has its compressed chunks copied raw, bit for bit — scanline, tiled (all levels) and
/// deep parts alike (deep ones after each chunk's sizes are checked against the file: SF_EXR_CORRUPT/TRUNCATED
/// naming the part); a part of another type is SF_EXR_UNSUPPORTED naming it, and so is a deep part that should hold
/// the layer. There, `extra_attributes` may not be named chromaticities, timeCode or timecode (OpenEXR needs them
/// equal in all parts): SF_EXR_INVALID_ARGUMENT. A source part with chunks missing (an incomplete file) cannot be
/// copied: an error code.
/// Limits: a tiled part holding the layer comes out as scanlines (full-resolution level only; RANDOM_Y becomes
/// INCREASING_Y); other parts stay tiled. Deep data in a single-part file, a layer with only some of R, G, B or
/// with subsampled ones: SF_EXR_UNSUPPORTED. `extra_attributes` (NULL when `extra_count` is 0) add or replace
/// (whatever their type) string attributes of the rewritten part only. Its data window is checked against
/// `max_pixels` before anything is allocated; its other channels are copied in strips of about 64 MiB. On success
/// `*out` is malloc'd (free with sf_exr_free), `*out_size` set and `message` set to "".
int sf_exr_replace_layer(const uint8_t *source, size_t source_size, const char *layer, uint64_t max_pixels,
                         const float *pixels, uint32_t width, uint32_t height, uint32_t channels,
                         const sf_exr_encode_options *options, const sf_exr_attribute *extra_attributes,
                         size_t extra_count, uint8_t **out, size_t *out_size, char *message,
                         size_t message_capacity);

/// Reads the channels `names[0..count)` (full names, e.g. "CryptoObject00.R", "depth.Z") as 32-bit floats,
/// interleaved: `count` per pixel in the order of `names`, row by row over the data window. In a multi-part file
/// a name is looked up across parts: a name sf_exr_channel_names lists reads the channel it lists (e.g. "depth.Z"
/// for channel Z of part "depth"); any other name reads the channel of exactly that name of the first part (in
/// file order) that has one. The channels may come from several parts, which must then share one data window
/// (else SF_EXR_UNSUPPORTED). Float channels come back bit for bit (Cryptomatte IDs survive), half ones exactly
/// widened, uint ones converted (exact up to 2^24). A name may repeat. A name the file lacks is
/// SF_EXR_MISSING_CHANNEL naming it; a subsampled channel, a channel of a deep part or a deep single-part file is
/// SF_EXR_UNSUPPORTED. `info` is filled as by sf_exr_decode for the part of `names[0]`, with `channels` = `count`,
/// `has_alpha` 0 and `half` 1 when every named channel is stored as half. Limits and ownership as sf_exr_decode.
int sf_exr_read_channels(const uint8_t *data, size_t size, const char *const *names, size_t count,
                         uint64_t max_pixels, sf_exr_info *info, float **pixels, char *message,
                         size_t message_capacity);

/// The names of all channels, joined by '\n' into a malloc'd NUL-terminated string (free with sf_exr_free; "" when
/// there are none). A single-part file: its channels, sorted as OpenEXR stores them. A multi-part file: every
/// part's channels (deep parts too), parts in file order, each part's sorted; the channels of a part that has a
/// non-empty `name` attribute (without '\n') and only unprefixed channels (no '.' in any) are listed as
/// "name.CHANNEL" (part "depth" with Z: "depth.Z"; part "rgba" with R, G, B, A: "rgba.R", …), except where that
/// is some part's own channel name (then the channel's own name is listed); other channels under their own names;
/// a name already listed is not listed again, so every listed name reads a distinct channel with
/// sf_exr_read_channels. Reads the headers only (no pixels), so it also works for deep files and files whose pixel
/// data is truncated.
int sf_exr_channel_names(const uint8_t *data, size_t size, char **names_joined, char *message,
                         size_t message_capacity);

/// Every header attribute of type "string", sorted by name, as "name\0value\0name\0value\0…" in a malloc'd buffer
/// of `*joined_size` bytes (free with sf_exr_free; never NULL on success, size 0 when there are none): of a
/// single-part file, its header's; of a multi-part file, those of the part holding the unnamed layer (as
/// sf_exr_decode picks it; the first part when none does), then those of the other parts in file order whose names
/// are not listed yet (so a Cryptomatte manifest in the crypto part's header is found; "name" and "type" are
/// those of the part taken first). Values may hold newlines and JSON (e.g. Cryptomatte's
/// "cryptomatte/<id>/manifest"); a value with an embedded NUL is cut there. Other attribute types (stringvector,
/// int, …) are left out. Reads the headers only.
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
