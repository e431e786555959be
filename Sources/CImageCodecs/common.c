#include "CImageCodecs.h"
#include "sf_internal.h"
#include <stdlib.h>
#include <string.h>

void sf_free(void *pointer) { free(pointer); }

void sf_set_message(char *message, size_t capacity, const char *text) {
    if (message == NULL || capacity == 0) return;
    if (text == NULL) text = "";
    size_t n = strlen(text);
    if (n >= capacity) n = capacity - 1;
    memcpy(message, text, n);
    message[n] = '\0';
}

int sf_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

size_t sf_buffer_size(uint64_t width, uint64_t height, uint64_t channels, uint64_t sample_bytes) {
    if (width == 0 || height == 0 || channels == 0 || sample_bytes == 0) return 0;
    uint64_t per_pixel = channels * sample_bytes;
    if (width > UINT64_MAX / height) return 0;
    uint64_t pixels = width * height;
    if (pixels > UINT64_MAX / per_pixel) return 0;
    uint64_t bytes = pixels * per_pixel;
    if (bytes > (uint64_t)SIZE_MAX) return 0;
    return (size_t)bytes;
}
