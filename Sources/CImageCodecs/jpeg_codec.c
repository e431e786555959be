/* JPEG decoding through libjpeg(-turbo), from memory.
 *
 * libjpeg's error_exit must not return; ours records the message and longjmps back to the setjmp in
 * sf_jpeg_decode. Everything that must be released after a longjmp lives in a heap-allocated context. */
#include "CImageCodecs.h"
#include "sf_internal.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/* A progressive JPEG can carry an unbounded number of scans, each one a full pass over the coefficients;
 * libjpeg-turbo's own tools cap it the same way to defeat that denial of service. */
#define SF_JPEG_MAX_SCANS 1000

typedef struct sf_jpeg_context {
    struct jpeg_error_mgr error;   /* must be first: libjpeg hands us a pointer to it */
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int truncated;
    int unsupported;
    int out_of_memory;
    char message[JMSG_LENGTH_MAX + 64];
    struct jpeg_decompress_struct cinfo;
    int created;
    uint8_t *pixels;
} sf_jpeg_context;

static void sf_jpeg_error_exit(j_common_ptr cinfo) {
    sf_jpeg_context *ctx = (sf_jpeg_context *)cinfo->err;
    if (ctx->message[0] == '\0') (*cinfo->err->format_message)(cinfo, ctx->message);
    if (cinfo->err->msg_code == JERR_OUT_OF_MEMORY) ctx->out_of_memory = 1;
    if (cinfo->err->msg_code == JERR_BAD_PRECISION) ctx->unsupported = 1;
    if (cinfo->err->msg_code == JERR_INPUT_EOF || cinfo->err->msg_code == JERR_INPUT_EMPTY) ctx->truncated = 1;
    longjmp(ctx->jump, 1);
}

static void sf_jpeg_emit_message(j_common_ptr cinfo, int level) {
    sf_jpeg_context *ctx = (sf_jpeg_context *)cinfo->err;
    if (level < 0) {
        cinfo->err->num_warnings++;
        /* The memory source pads a short stream with a fake EOI and warns; for us that is a cut file. */
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            ctx->truncated = 1;
            sf_set_message(ctx->message, sizeof ctx->message, "premature end of JPEG data");
            longjmp(ctx->jump, 1);
        }
    }
    /* Other warnings (e.g. extraneous bytes before a marker) and trace messages are ignored. */
}

static void sf_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void sf_jpeg_progress(j_common_ptr cinfo) {
    sf_jpeg_context *ctx = (sf_jpeg_context *)cinfo->err;
    if (cinfo->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        if (d->input_scan_number > SF_JPEG_MAX_SCANS) {
            snprintf(ctx->message, sizeof ctx->message, "more than %d progressive scans", SF_JPEG_MAX_SCANS);
            longjmp(ctx->jump, 1);
        }
    }
}

static void sf_jpeg_cleanup(sf_jpeg_context *ctx) {
    if (ctx->created) jpeg_destroy_decompress(&ctx->cinfo);
    free(ctx->pixels);
    free(ctx);
}

int sf_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, sf_decoded_image *out,
                   char *message, size_t message_capacity) {
    if (out == NULL) return SF_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    sf_set_message(message, message_capacity, "");
    if (data == NULL || size < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        sf_set_message(message, message_capacity, "missing JPEG start-of-image marker");
        return size < 3 ? SF_ERR_TRUNCATED : SF_ERR_CORRUPT;
    }
    sf_jpeg_context *ctx = (sf_jpeg_context *)calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        sf_set_message(message, message_capacity, "out of memory");
        return SF_ERR_OUT_OF_MEMORY;
    }
    ctx->cinfo.err = jpeg_std_error(&ctx->error);
    ctx->error.error_exit = sf_jpeg_error_exit;
    ctx->error.emit_message = sf_jpeg_emit_message;
    ctx->error.output_message = sf_jpeg_output_message;

    if (setjmp(ctx->jump)) {
        int code = ctx->out_of_memory ? SF_ERR_OUT_OF_MEMORY
                 : ctx->truncated     ? SF_ERR_TRUNCATED
                 : ctx->unsupported   ? SF_ERR_UNSUPPORTED
                                      : SF_ERR_CORRUPT;
        sf_set_message(message, message_capacity, ctx->message[0] ? ctx->message : "invalid JPEG data");
        sf_jpeg_cleanup(ctx);
        return code;
    }

    jpeg_create_decompress(&ctx->cinfo);
    ctx->created = 1;
    ctx->progress.progress_monitor = sf_jpeg_progress;
    ctx->cinfo.progress = &ctx->progress;
    jpeg_mem_src(&ctx->cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&ctx->cinfo, TRUE);

    j_decompress_ptr cinfo = &ctx->cinfo;
    out->width = cinfo->image_width;
    out->height = cinfo->image_height;
    out->source_bit_depth = (uint32_t)cinfo->data_precision;
    out->interlaced = cinfo->progressive_mode ? 1 : 0;
    if ((uint64_t)cinfo->image_width * (uint64_t)cinfo->image_height > max_pixels) {
        char text[160];
        snprintf(text, sizeof text, "%u x %u pixels exceeds the limit of %llu pixels",
                 (unsigned)cinfo->image_width, (unsigned)cinfo->image_height, (unsigned long long)max_pixels);
        sf_set_message(message, message_capacity, text);
        sf_jpeg_cleanup(ctx);
        return SF_ERR_TOO_LARGE;
    }
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        ctx->unsupported = 1;
        sf_set_message(ctx->message, sizeof ctx->message,
                       "CMYK/YCCK JPEG is not supported; convert it to RGB first");
        longjmp(ctx->jump, 1);
    default:
        ctx->unsupported = 1;
        snprintf(ctx->message, sizeof ctx->message, "unsupported JPEG colour space (%d components)",
                 cinfo->num_components);
        longjmp(ctx->jump, 1);
    }

    (void)jpeg_start_decompress(cinfo);
    uint32_t channels = (uint32_t)cinfo->output_components;
    if ((channels != 1 && channels != 3) || cinfo->output_width != cinfo->image_width ||
        cinfo->output_height != cinfo->image_height) {
        sf_set_message(ctx->message, sizeof ctx->message, "unexpected JPEG output layout");
        longjmp(ctx->jump, 1);
    }
    size_t bytes = sf_buffer_size(cinfo->output_width, cinfo->output_height, channels, 1);
    if (bytes == 0) {
        sf_set_message(ctx->message, sizeof ctx->message, "image size does not fit in memory");
        longjmp(ctx->jump, 1);
    }
    ctx->pixels = (uint8_t *)malloc(bytes);
    if (ctx->pixels == NULL) {
        ctx->out_of_memory = 1;
        sf_set_message(ctx->message, sizeof ctx->message, "out of memory allocating the pixel buffer");
        longjmp(ctx->jump, 1);
    }
    size_t row_bytes = (size_t)cinfo->output_width * channels;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW row = ctx->pixels + (size_t)cinfo->output_scanline * row_bytes;
        if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
            ctx->truncated = 1;
            sf_set_message(ctx->message, sizeof ctx->message, "premature end of JPEG data");
            longjmp(ctx->jump, 1);
        }
    }
    (void)jpeg_finish_decompress(cinfo);

    out->channels = channels;
    out->sample_bytes = 1;
    out->pixels = ctx->pixels;
    out->pixels_size = bytes;
    ctx->pixels = NULL; /* ownership moves to the caller */
    sf_jpeg_cleanup(ctx);
    return SF_OK;
}
