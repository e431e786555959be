/* PNG decoding and encoding through libpng, from and to memory.
 *
 * libpng reports errors by calling our error handler, which records the message and longjmps back to the
 * setjmp in the calling function here. Everything that must be released after a longjmp lives in a
 * heap-allocated context (not in automatic variables, whose values are indeterminate after longjmp). */
#include "CImageCodecs.h"
#include "sf_internal.h"
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sf_png_library_version(void) { return png_get_libpng_ver(NULL); }

/* ---------------------------------------------------------------- decoding */

typedef struct sf_png_read_context {
    const uint8_t *data;
    size_t size;
    size_t position;
    int truncated;      /* the read callback ran out of data */
    int out_of_memory;
    char message[256];
    png_structp png;
    png_infop info;
    png_bytep *rows;
    uint8_t *pixels;
} sf_png_read_context;

static void sf_png_error(png_structp png, png_const_charp text) {
    sf_png_read_context *ctx = (sf_png_read_context *)png_get_error_ptr(png);
    if (ctx != NULL && ctx->message[0] == '\0') sf_set_message(ctx->message, sizeof ctx->message, text);
    png_longjmp(png, 1);
}

static void sf_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text; /* warnings (e.g. a bad CRC in an ancillary chunk, which libpng drops) are not fatal */
}

static void sf_png_read_data(png_structp png, png_bytep out, size_t length) {
    sf_png_read_context *ctx = (sf_png_read_context *)png_get_io_ptr(png);
    if (length > ctx->size - ctx->position) {
        ctx->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, ctx->data + ctx->position, length);
    ctx->position += length;
}

static void sf_png_read_cleanup(sf_png_read_context *ctx) {
    if (ctx->png != NULL) png_destroy_read_struct(&ctx->png, ctx->info != NULL ? &ctx->info : NULL, NULL);
    free(ctx->rows);
    free(ctx->pixels);
    free(ctx);
}

int sf_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, sf_decoded_image *out,
                  char *message, size_t message_capacity) {
    if (out == NULL) return SF_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    sf_set_message(message, message_capacity, "");
    if (data == NULL || size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        sf_set_message(message, message_capacity, size < 8 ? "shorter than the 8-byte PNG signature"
                                                            : "missing PNG signature");
        return size < 8 ? SF_ERR_TRUNCATED : SF_ERR_CORRUPT;
    }

    sf_png_read_context *ctx = (sf_png_read_context *)calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        sf_set_message(message, message_capacity, "out of memory");
        return SF_ERR_OUT_OF_MEMORY;
    }
    ctx->data = data;
    ctx->size = size;
    ctx->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, sf_png_error, sf_png_warning);
    if (ctx->png == NULL) {
        sf_png_read_cleanup(ctx);
        sf_set_message(message, message_capacity, "out of memory (png_create_read_struct)");
        return SF_ERR_OUT_OF_MEMORY;
    }
    ctx->info = png_create_info_struct(ctx->png);
    if (ctx->info == NULL) {
        sf_png_read_cleanup(ctx);
        sf_set_message(message, message_capacity, "out of memory (png_create_info_struct)");
        return SF_ERR_OUT_OF_MEMORY;
    }

    /* Note: `result` is assigned only before setjmp or on the non-returning path, and `ctx` is never
     * modified after setjmp, so both are well-defined after a longjmp. */
    if (setjmp(png_jmpbuf(ctx->png))) {
        int code = ctx->out_of_memory ? SF_ERR_OUT_OF_MEMORY : ctx->truncated ? SF_ERR_TRUNCATED : SF_ERR_CORRUPT;
        sf_set_message(message, message_capacity, ctx->message[0] ? ctx->message : "invalid PNG data");
        sf_png_read_cleanup(ctx);
        return code;
    }

    /* Our own pixel limit is the one that applies: let any width/height through libpng's header check. */
    png_set_user_limits(ctx->png, 0x7fffffffU, 0x7fffffffU);
    png_set_read_fn(ctx->png, ctx, sf_png_read_data);
    png_read_info(ctx->png, ctx->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(ctx->png, ctx->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    out->width = width;
    out->height = height;
    out->source_bit_depth = (uint32_t)(color_type == PNG_COLOR_TYPE_PALETTE ? 8 : bit_depth);
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        char text[160];
        snprintf(text, sizeof text, "%u x %u pixels exceeds the limit of %llu pixels", (unsigned)width,
                 (unsigned)height, (unsigned long long)max_pixels);
        sf_set_message(message, message_capacity, text);
        sf_png_read_cleanup(ctx);
        return SF_ERR_TOO_LARGE;
    }

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(ctx->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(ctx->png);
    if (png_get_valid(ctx->png, ctx->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(ctx->png);
    if (bit_depth == 16 && sf_is_little_endian()) png_set_swap(ctx->png);
    (void)png_set_interlace_handling(ctx->png);
    png_read_update_info(ctx->png, ctx->info);

    uint32_t channels = png_get_channels(ctx->png, ctx->info);
    int out_depth = png_get_bit_depth(ctx->png, ctx->info);
    if (channels < 1 || channels > 4 || (out_depth != 8 && out_depth != 16)) {
        png_error(ctx->png, "unexpected sample layout after expansion");
    }
    uint32_t sample_bytes = (uint32_t)out_depth / 8;
    size_t bytes = sf_buffer_size(width, height, channels, sample_bytes);
    size_t row_bytes = (size_t)width * channels * sample_bytes;
    if (bytes == 0 || png_get_rowbytes(ctx->png, ctx->info) != row_bytes) {
        png_error(ctx->png, "image size does not fit in memory");
    }
    ctx->pixels = (uint8_t *)malloc(bytes);
    ctx->rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (ctx->pixels == NULL || ctx->rows == NULL) {
        ctx->out_of_memory = 1;
        png_error(ctx->png, "out of memory allocating the pixel buffer");
    }
    for (png_uint_32 y = 0; y < height; y++) ctx->rows[y] = ctx->pixels + (size_t)y * row_bytes;
    png_read_image(ctx->png, ctx->rows);
    /* Reads (and CRC-checks) the chunks after the image data up to IEND: a file cut after its last
     * IDAT is reported as truncated rather than accepted. */
    png_read_end(ctx->png, NULL);

    out->channels = channels;
    out->sample_bytes = sample_bytes;
    out->pixels = ctx->pixels;
    out->pixels_size = bytes;
    ctx->pixels = NULL; /* ownership moves to the caller */
    sf_png_read_cleanup(ctx);
    return SF_OK;
}

/* ---------------------------------------------------------------- encoding */

typedef struct sf_png_write_context {
    uint8_t *buffer;
    size_t size;
    size_t capacity;
    int out_of_memory;
    char message[256];
    png_structp png;
    png_infop info;
    png_bytep *rows;
} sf_png_write_context;

static void sf_png_write_data(png_structp png, png_bytep bytes, size_t length) {
    sf_png_write_context *ctx = (sf_png_write_context *)png_get_io_ptr(png);
    if (length > SIZE_MAX - ctx->size) {
        ctx->out_of_memory = 1;
        png_error(png, "encoded PNG too large");
    }
    if (ctx->size + length > ctx->capacity) {
        size_t capacity = ctx->capacity ? ctx->capacity : 4096;
        while (capacity < ctx->size + length) {
            if (capacity > SIZE_MAX / 2) { capacity = ctx->size + length; break; }
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(ctx->buffer, capacity);
        if (grown == NULL) {
            ctx->out_of_memory = 1;
            png_error(png, "out of memory growing the output buffer");
        }
        ctx->buffer = grown;
        ctx->capacity = capacity;
    }
    memcpy(ctx->buffer + ctx->size, bytes, length);
    ctx->size += length;
}

static void sf_png_flush(png_structp png) { (void)png; }

static void sf_png_write_error(png_structp png, png_const_charp text) {
    sf_png_write_context *ctx = (sf_png_write_context *)png_get_error_ptr(png);
    if (ctx != NULL && ctx->message[0] == '\0') sf_set_message(ctx->message, sizeof ctx->message, text);
    png_longjmp(png, 1);
}

static void sf_png_write_cleanup(sf_png_write_context *ctx) {
    if (ctx->png != NULL) png_destroy_write_struct(&ctx->png, ctx->info != NULL ? &ctx->info : NULL);
    free(ctx->rows);
    free(ctx->buffer);
    free(ctx);
}

int sf_png_encode(const uint8_t *rows, size_t row_stride, uint32_t width, uint32_t height,
                  const sf_png_encode_options *options, uint8_t **out_data, size_t *out_size,
                  char *message, size_t message_capacity) {
    sf_set_message(message, message_capacity, "");
    if (out_data == NULL || out_size == NULL || options == NULL || rows == NULL || width == 0 || height == 0) {
        sf_set_message(message, message_capacity, "invalid arguments (null buffer or zero size)");
        return SF_ERR_INVALID_ARGUMENT;
    }
    *out_data = NULL;
    *out_size = 0;

    sf_png_write_context *ctx = (sf_png_write_context *)calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        sf_set_message(message, message_capacity, "out of memory");
        return SF_ERR_OUT_OF_MEMORY;
    }
    ctx->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, sf_png_write_error, sf_png_warning);
    if (ctx->png != NULL) ctx->info = png_create_info_struct(ctx->png);
    ctx->rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (ctx->png == NULL || ctx->info == NULL || ctx->rows == NULL) {
        sf_png_write_cleanup(ctx);
        sf_set_message(message, message_capacity, "out of memory");
        return SF_ERR_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(ctx->png))) {
        int code = ctx->out_of_memory ? SF_ERR_OUT_OF_MEMORY : SF_ERR_INVALID_ARGUMENT;
        sf_set_message(message, message_capacity, ctx->message[0] ? ctx->message : "PNG encoding failed");
        sf_png_write_cleanup(ctx);
        return code;
    }

    png_set_write_fn(ctx->png, ctx, sf_png_write_data, sf_png_flush);
    if (options->compression_level >= 0 && options->compression_level <= 9) {
        png_set_compression_level(ctx->png, options->compression_level);
    }
    png_set_IHDR(ctx->png, ctx->info, width, height, options->bit_depth, options->color_type,
                 options->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (options->color_type == PNG_COLOR_TYPE_PALETTE) {
        if (options->palette_rgb == NULL || options->palette_entries < 1 || options->palette_entries > 256) {
            png_error(ctx->png, "palette image needs 1...256 palette entries");
        }
        png_color palette[256];
        for (int i = 0; i < options->palette_entries; i++) {
            palette[i].red = options->palette_rgb[3 * i];
            palette[i].green = options->palette_rgb[3 * i + 1];
            palette[i].blue = options->palette_rgb[3 * i + 2];
        }
        png_set_PLTE(ctx->png, ctx->info, palette, options->palette_entries);
        if (options->trns_alpha != NULL && options->trns_count > 0) {
            png_set_tRNS(ctx->png, ctx->info, options->trns_alpha, options->trns_count, NULL);
        }
    } else if (options->has_trns_color) {
        png_color_16 color;
        memset(&color, 0, sizeof color);
        color.gray = options->trns_gray;
        color.red = options->trns_red;
        color.green = options->trns_green;
        color.blue = options->trns_blue;
        png_set_tRNS(ctx->png, ctx->info, NULL, 0, &color);
    }
    png_write_info(ctx->png, ctx->info);
    for (uint32_t y = 0; y < height; y++) ctx->rows[y] = (png_bytep)(rows + (size_t)y * row_stride);
    png_write_image(ctx->png, ctx->rows);
    png_write_end(ctx->png, NULL);

    *out_data = ctx->buffer;
    *out_size = ctx->size;
    ctx->buffer = NULL; /* ownership moves to the caller */
    sf_png_write_cleanup(ctx);
    return SF_OK;
}
