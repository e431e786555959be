#ifndef STYLEFARM_SF_INTERNAL_H
#define STYLEFARM_SF_INTERNAL_H
/* Helpers shared by the codec shims (not part of the public header). */
#include <stddef.h>
#include <stdint.h>

/// Copies `text` into `message` (capacity bytes, always NUL-terminated when capacity > 0).
void sf_set_message(char *message, size_t capacity, const char *text);

/// Whether this machine stores integers little-endian.
int sf_is_little_endian(void);

/// width * height * channels * sample_bytes, or 0 when it does not fit in size_t.
size_t sf_buffer_size(uint64_t width, uint64_t height, uint64_t channels, uint64_t sample_bytes);

#endif
