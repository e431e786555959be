#ifndef STYLEFARM_COCIO_H
#define STYLEFARM_COCIO_H
/* A C interface over OpenColorIO 2.1 (libopencolorio-dev), for Swift. The coordinator, which has the user's OCIO
 * config, bakes "plate colour space → scene-linear Rec.709 (D65)" into self-contained CTF text (OCIO's Color
 * Transform Format, LUTs inline); workers, which have no config, load that text and apply it both ways. OCIO reports
 * errors with C++ exceptions, which must not cross into Swift: every call into it happens in ocio_conversion.cpp
 * inside try/catch and comes back as a result code and a message. OCIO's own logging is silenced (unless the
 * environment sets OCIO_LOGGING_LEVEL). */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes.
enum {
    SF_OCIO_OK = 0,
    SF_OCIO_CONFIG = 1,           /* the config cannot be read or is invalid */
    SF_OCIO_UNKNOWN_SPACE = 2,    /* the name is not in the config; the message lists what is */
    SF_OCIO_NO_INTERCHANGE = 3,   /* the config has no (usable) aces_interchange role */
    SF_OCIO_TRANSFORM = 4,        /* building the processor or the CTF failed, or CTF text did not load */
    SF_OCIO_OUT_OF_MEMORY = 5,
    SF_OCIO_INVALID_ARGUMENT = 6,
    SF_OCIO_TOO_LARGE = 7         /* the baked CTF exceeds the caller's limit (the message gives its size) */
};

/// Bakes `space` of the OCIO config at `config_path` (not NULL: the caller resolves $OCIO) into CTF text for
/// plate → scene-linear Rec.709: `space` → the config's `aces_interchange` role (ACES2065-1), then the row-major
/// 3×3 `matrix` (9 doubles, AP0 → linear Rec.709, given by the caller). `space` is looked up (ignoring case, as OCIO
/// does) as a colour space name, alias or role ("scene_linear", "compositing_log", …; active or inactive); failing
/// that as "DISPLAY/VIEW" (split at the last '/' that names a display of the config and one of its views), meaning a
/// display-referred plate made through that view: the inverse of DisplayViewTransform(aces_interchange, DISPLAY,
/// VIEW) is baked. A data space
/// (isdata, e.g. "Raw", also as a view's colour space) has no conversion: SF_OCIO_TRANSFORM. A name not found is
/// SF_OCIO_UNKNOWN_SPACE, the message listing (cut to fit) the config's colour spaces and display/view pairs; no
/// aces_interchange role is SF_OCIO_NO_INTERCHANGE. Text longer than `max_bytes` is SF_OCIO_TOO_LARGE. On success
/// `*ctf` is malloc'd NUL-terminated text (free with sf_ocio_free_text) and `*ctf_size` its length (without NUL).
/// (Every function that takes `message` empties it first, or fills it on failure; NULL or capacity 0 is fine.)
int sf_ocio_bake(const char *config_path, const char *space, const double *matrix, size_t max_bytes, char **ctf,
                 size_t *ctf_size, char *message, size_t message_capacity);

/// Describes the config at `config_path` for help and error messages, one item a line ('\n' after each): every colour
/// space (active ones first, scene- before display-referred, then the inactive ones), then every display/view pair
/// as "DISPLAY/VIEW" (active displays and views first), then every role as "role:NAME". (A colour space name may
/// itself contain '/'.) On success `*text` is malloc'd NUL-terminated text (free with sf_ocio_free_text) and
/// `*text_size` its length.
int sf_ocio_describe(const char *config_path, char **text, size_t *text_size, char *message,
                     size_t message_capacity);

/// A loaded conversion: forward (plate → linear Rec.709) and inverse 32-bit float CPU processors.
typedef struct sf_ocio_conversion sf_ocio_conversion;

/// Loads `ctf_size` bytes of CTF text (as made by sf_ocio_bake; need not be NUL-terminated) into a conversion. Needs
/// no config and no file but the text: it is written to a private temporary directory (under $TMPDIR, else /tmp)
/// that is removed before returning. The text is untrusted (it comes from a peer; the caller bounds its size):
/// references to other files (<Reference>), DTDs/entities and arrays larger than the text could hold are refused,
/// and anything OCIO rejects is SF_OCIO_TRANSFORM with OCIO's message. Safe to call from several threads at once.
/// On success `*conversion` is set (free with sf_ocio_free).
int sf_ocio_load(const char *ctf, size_t ctf_size, sf_ocio_conversion **conversion, char *message,
                 size_t message_capacity);

/// Converts `pixels` interleaved RGB float triples (RGBRGB…, 3 floats a pixel) of `rgb` in place: `inverse` 0 is
/// plate → linear Rec.709, 1 is linear Rec.709 → plate. `rgb` may be NULL when `pixels` is 0 (a no-op). Safe for
/// concurrent calls on one conversion.
int sf_ocio_apply(const sf_ocio_conversion *conversion, float *rgb, size_t pixels, int inverse, char *message,
                  size_t message_capacity);

/// Frees a conversion from sf_ocio_load. NULL is fine.
void sf_ocio_free(sf_ocio_conversion *conversion);

/// Frees text from sf_ocio_bake or sf_ocio_describe. NULL is fine.
void sf_ocio_free_text(char *text);

/// The OpenColorIO library's version, e.g. "2.1.2".
const char *sf_ocio_version(void);

#ifdef __cplusplus
}
#endif
#endif
