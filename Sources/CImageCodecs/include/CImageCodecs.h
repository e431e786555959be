#ifndef STYLEFARM_CIMAGECODECS_H
#define STYLEFARM_CIMAGECODECS_H
/* C shims around libpng and libjpeg. Both libraries report errors with setjmp/longjmp, which must not
 * cross Swift frames, so every call into them happens here and returns an error code and message.
 *
 * All decoders read from a memory buffer and never write outside the buffers they allocate. On every
 * path, success or failure, everything they allocated is released except `sf_decoded_image.pixels`
 * (success only) and the encoder's output buffer (success only); free those with `sf_free`. */

#include <stddef.h>
#include <stdint.h>

/// Result codes shared by all functions in this module.
enum {
    SF_OK = 0,
    SF_ERR_CORRUPT = 1,          /* the data is not a valid PNG/JPEG stream (bad CRC, bad header, bad data) */
    SF_ERR_TRUNCATED = 2,        /* the stream ends before the image is complete */
    SF_ERR_TOO_LARGE = 3,        /* header dimensions exceed the caller's pixel limit; width/height are set */
    SF_ERR_UNSUPPORTED = 4,      /* valid but unsupported (e.g. CMYK JPEG) */
    SF_ERR_OUT_OF_MEMORY = 5,
    SF_ERR_INVALID_ARGUMENT = 6  /* encoder: parameters libpng rejects (bad depth/colour type combination...) */
};

/// A decoded image. Samples are interleaved row-major; `sample_bytes` is 1 (uint8) or 2 (uint16, native
/// byte order). `width`/`height` are also filled in when decoding fails with SF_ERR_TOO_LARGE.
typedef struct sf_decoded_image {
    uint32_t width;
    uint32_t height;
    uint32_t channels;         /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    uint32_t sample_bytes;     /* 1 or 2 */
    uint32_t source_bit_depth; /* bits per sample in the file: 1, 2, 4, 8 or 16 (palette PNG: 8) */
    uint32_t interlaced;       /* 1 for Adam7 PNG / progressive JPEG */
    void *pixels;              /* malloc'd, width*height*channels*sample_bytes bytes; free with sf_free */
    size_t pixels_size;
} sf_decoded_image;

/// The libpng version this binary was linked against, e.g. "1.6.39".
const char *sf_png_library_version(void);

/// Frees memory returned by this module (decoded pixels, encoded PNG bytes). NULL is fine.
void sf_free(void *pointer);

/// Decodes a PNG from memory. Palette images become RGB, tRNS becomes an alpha channel, 1/2/4-bit gray is
/// expanded to 8 bits (values scaled to the full 0...255 range), 16-bit stays 16-bit, interlacing is undone.
/// No gamma or colour-space conversion is applied. The header's dimensions are checked against
/// `max_pixels` (width*height) before the pixel buffer is allocated. `message` receives a NUL-terminated
/// reason on failure (may be NULL if `message_capacity` is 0).
int sf_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, sf_decoded_image *out,
                  char *message, size_t message_capacity);

/// Decodes a baseline or progressive 8-bit JPEG from memory into gray (1 channel) or RGB (3 channels)
/// with libjpeg's default (accurate integer DCT, fancy upsampling) settings. CMYK/YCCK is rejected with
/// SF_ERR_UNSUPPORTED. A stream that ends early is SF_ERR_TRUNCATED (never silently padded).
int sf_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, sf_decoded_image *out,
                   char *message, size_t message_capacity);

/// PNG colour types (same values as libpng's PNG_COLOR_TYPE_*).
enum {
    SF_PNG_GRAY = 0,
    SF_PNG_RGB = 2,
    SF_PNG_PALETTE = 3,
    SF_PNG_GRAY_ALPHA = 4,
    SF_PNG_RGBA = 6
};

/// How to encode a PNG. Zero-initialise, then set `color_type` and `bit_depth`.
typedef struct sf_png_encode_options {
    int32_t color_type;         /* SF_PNG_* */
    int32_t bit_depth;          /* 1, 2, 4, 8 or 16, as allowed for the colour type */
    int32_t interlace;          /* 0 none, 1 Adam7 */
    int32_t compression_level;  /* 0...9; values outside use zlib's default */
    const uint8_t *palette_rgb; /* palette: palette_entries RGB triplets */
    int32_t palette_entries;
    const uint8_t *trns_alpha;  /* palette: alpha for the first trns_count entries */
    int32_t trns_count;
    int32_t has_trns_color;     /* gray/RGB: one colour that is fully transparent */
    uint16_t trns_gray, trns_red, trns_green, trns_blue;
} sf_png_encode_options;

/// Encodes rows that are already in PNG sample layout (packed sub-byte samples, 16-bit samples big-endian)
/// into a PNG in memory. Row y starts at `rows + y * row_stride`. On success `*out_data` (free with
/// sf_free) holds `*out_size` bytes.
int sf_png_encode(const uint8_t *rows, size_t row_stride, uint32_t width, uint32_t height,
                  const sf_png_encode_options *options, uint8_t **out_data, size_t *out_size,
                  char *message, size_t message_capacity);

#endif
