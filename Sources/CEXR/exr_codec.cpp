// OpenEXR behind a C interface (CEXR.h): every OpenEXR call is inside try/catch; exceptions become result codes.
#include "CEXR.h"

#include <ImfChannelList.h>
#include <ImfCompression.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfInputFile.h>
#include <ImfMultiPartInputFile.h>
#include <ImfOutputFile.h>
#include <ImfPartType.h>
#include <ImfStringAttribute.h>
#include <ImfTileDescription.h>
#include <ImfVersion.h>
#include <OpenEXRConfig.h>
#include <half.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SF_EXR_STRIP_BYTES
#define SF_EXR_STRIP_BYTES (size_t(64) << 20)  // samples held at once by sf_exr_replace_layer (tests set it small)
#endif

namespace {

void say(char *message, size_t capacity, const std::string &text) {
    if (message == nullptr || capacity == 0) return;
    std::snprintf(message, capacity, "%s", text.c_str());
}

/// A file held in memory, read by OpenEXR as a stream; reading past its end is "truncated".
class MemoryInput : public OPENEXR_IMF_NAMESPACE::IStream {
  public:
    MemoryInput(const uint8_t *data, size_t size) : IStream("<memory>"), data_(data), size_(size), position_(0) {}
    bool read(char c[], int n) override {
        if (n < 0 || position_ + static_cast<uint64_t>(n) > size_) {
            throw std::runtime_error("sf-truncated: the file ends before the image does");
        }
        std::memcpy(c, data_ + position_, static_cast<size_t>(n));
        position_ += static_cast<uint64_t>(n);
        return position_ < size_;
    }
    uint64_t tellg() override { return position_; }
    void seekg(uint64_t pos) override { position_ = pos; }

  private:
    const uint8_t *data_;
    uint64_t size_;
    uint64_t position_;
};

/// A growing buffer OpenEXR writes a file into.
class MemoryOutput : public OPENEXR_IMF_NAMESPACE::OStream {
  public:
    MemoryOutput() : OStream("<memory>"), position_(0) {}
    void write(const char c[], int n) override {
        if (position_ + static_cast<size_t>(n) > bytes.size()) bytes.resize(position_ + static_cast<size_t>(n));
        std::memcpy(bytes.data() + position_, c, static_cast<size_t>(n));
        position_ += static_cast<size_t>(n);
    }
    uint64_t tellp() override { return position_; }
    void seekp(uint64_t pos) override { position_ = static_cast<size_t>(pos); }
    std::vector<char> bytes;

  private:
    size_t position_;
};

int classify(const std::string &what) {
    if (what.find("sf-truncated") != std::string::npos || what.find("end of file") != std::string::npos ||
        what.find("Unexpected end") != std::string::npos) {
        return SF_EXR_TRUNCATED;
    }
    return SF_EXR_CORRUPT;
}

std::string clean(const std::string &what) {
    const std::string tag = "sf-truncated: ";
    auto at = what.find(tag);
    return at == std::string::npos ? what : what.substr(0, at) + what.substr(at + tag.size());
}

/// Attributes OpenEXR writes or interprets itself: callers may not set them as strings.
bool reserved_attribute(const char *name) {
    static const char *const reserved[] = {"channels", "compression", "dataWindow", "displayWindow", "lineOrder",
                                           "pixelAspectRatio", "screenWindowCenter", "screenWindowWidth", "tiles",
                                           "type", "name", "version", "chunkCount", "maxSamplesPerPixel"};
    for (const char *r : reserved) {
        if (std::strcmp(name, r) == 0) return true;
    }
    return false;
}

/// Checks caller-supplied string attributes; on failure `error` says which and why.
bool valid_attributes(const sf_exr_attribute *attributes, size_t count, std::string &error) {
    if (count > 0 && attributes == nullptr) {
        error = "invalid arguments (attributes missing)";
        return false;
    }
    for (size_t i = 0; i < count; ++i) {
        const char *name = attributes[i].name, *value = attributes[i].value;
        if (name == nullptr || value == nullptr) {
            error = "invalid arguments (attribute " + std::to_string(i) + " has no name or value)";
            return false;
        }
        size_t length = std::strlen(name);
        if (length == 0 || length > 255) {
            error = "invalid attribute name '" + std::string(name) + "' (1 to 255 bytes)";
            return false;
        }
        if (reserved_attribute(name)) {
            error = "attribute '" + std::string(name) + "' is managed by OpenEXR and cannot be set as a string";
            return false;
        }
        if (std::strlen(value) > static_cast<size_t>(std::numeric_limits<int>::max() / 2)) {
            error = "attribute '" + std::string(name) + "' is too long";
            return false;
        }
    }
    return true;
}

/// Adds string attributes (checked by valid_attributes) to a header that has no non-string attribute of their
/// names. (Header::erase is not used: OpenEXR 3.1.5's leaks the attribute.)
void add_attributes(OPENEXR_IMF_NAMESPACE::Header &header, const sf_exr_attribute *attributes, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        header.insert(attributes[i].name, OPENEXR_IMF_NAMESPACE::StringAttribute(std::string(attributes[i].value)));
    }
}

/// The magic number and version field, as InputFile checks them: SF_EXR_OK, or a code with `message` set.
/// `deep_allowed`: files with the non-image (deep) flag pass (header-only readers).
int check_start(const uint8_t *data, size_t size, bool deep_allowed, int &version, char *message, size_t capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (size < 8 || !Imf::isImfMagic(reinterpret_cast<const char *>(data))) {
        say(message, capacity, "not an OpenEXR file (no magic number)");
        return size < 4 ? SF_EXR_TRUNCATED : SF_EXR_CORRUPT;
    }
    std::memcpy(&version, data + 4, sizeof(version));
    if (!deep_allowed && Imf::isNonImage(version)) {
        say(message, capacity, "deep data: StyleFarm reads flat images only");
        return SF_EXR_UNSUPPORTED;
    }
    if (Imf::getVersion(version) != Imf::EXR_VERSION || !Imf::supportsFlags(Imf::getFlags(version))) {
        say(message, capacity, "unsupported OpenEXR version field " + std::to_string(version));
        return SF_EXR_CORRUPT;
    }
    return SF_EXR_OK;
}

/// The number of parts in a (checked) file, as sf_exr_decode counts them.
int count_parts(const uint8_t *data, size_t size) {
    MemoryInput counting(data, size);
    OPENEXR_IMF_NAMESPACE::MultiPartInputFile multi(counting, 0);
    return multi.parts();
}

/// Reads only the first part's header (no offset tables, no pixels) of a file that passed check_start.
void read_first_header(const uint8_t *data, size_t size, int version, OPENEXR_IMF_NAMESPACE::Header &header) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    MemoryInput stream(data, size);
    stream.seekg(8);
    header.readFrom(stream, version);
    bool tiled = header.hasType() ? Imf::isTiled(header.type()) : Imf::isTiled(version);
    if (!header.hasType() || !Imf::isDeepData(header.type())) header.sanityCheck(tiled, Imf::isMultiPart(version));
}

/// The first part's header of a file held in memory, read alone (deep files and files with truncated pixels too);
/// a result code and message when it does not start as an OpenEXR file.
int read_header_only(const uint8_t *data, size_t size, OPENEXR_IMF_NAMESPACE::Header &header, char *message, size_t capacity) {
    int version = 0;
    int code = check_start(data, size, true, version, message, capacity);
    if (code == SF_EXR_OK) read_first_header(data, size, version, header);
    return code;
}

void fill_windows(sf_exr_info *info, const OPENEXR_IMF_NAMESPACE::Header &header, int parts) {
    const auto &dw = header.dataWindow(), &dsp = header.displayWindow();
    info->data_x0 = dw.min.x; info->data_y0 = dw.min.y; info->data_x1 = dw.max.x; info->data_y1 = dw.max.y;
    info->display_x0 = dsp.min.x; info->display_y0 = dsp.min.y; info->display_x1 = dsp.max.x; info->display_y1 = dsp.max.y;
    info->compression = static_cast<uint32_t>(header.compression());
    info->tiled = header.hasTileDescription() ? 1 : 0;
    info->parts = static_cast<uint32_t>(parts);
}

/// "R, G, B, …" (at most about 400 bytes) for messages.
std::string channel_list_text(const OPENEXR_IMF_NAMESPACE::ChannelList &list) {
    std::string names;
    for (auto it = list.begin(); it != list.end(); ++it) {
        if (names.size() > 400) { names += ", …"; break; }
        names += (names.empty() ? "" : ", ") + std::string(it.name());
    }
    return names;
}

/// Whether writing channel `name` of `type` with `compression` loses information (OpenEXR 3.1's rules).
bool lossy_for(OPENEXR_IMF_NAMESPACE::Compression compression, const std::string &name,
               OPENEXR_IMF_NAMESPACE::PixelType type) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    switch (compression) {
    case Imf::PXR24_COMPRESSION: return type == Imf::FLOAT;
    case Imf::B44_COMPRESSION:
    case Imf::B44A_COMPRESSION: return type == Imf::HALF;
    case Imf::DWAA_COMPRESSION:
    case Imf::DWAB_COMPRESSION: {
        if (type != Imf::HALF && type != Imf::FLOAT) return false;
        size_t dot = name.find_last_of('.');
        std::string suffix = dot == std::string::npos ? name : name.substr(dot + 1);
        return suffix == "R" || suffix == "G" || suffix == "B" || suffix == "Y" || suffix == "RY" || suffix == "BY";
    }
    default: return false;
    }
}

/// Scan lines per chunk of a scanline file with `compression` (for aligning strips).
int lines_per_chunk(OPENEXR_IMF_NAMESPACE::Compression compression) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    switch (compression) {
    case Imf::ZIP_COMPRESSION:
    case Imf::PXR24_COMPRESSION: return 16;
    case Imf::PIZ_COMPRESSION:
    case Imf::B44_COMPRESSION:
    case Imf::B44A_COMPRESSION:
    case Imf::DWAA_COMPRESSION: return 32;
    case Imf::DWAB_COMPRESSION: return 256;
    default: return 1;
    }
}

/// Floor and ceiling of a / b for b > 0, any sign of a.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

/// Copies `bytes` into a malloc'd buffer; nullptr when out of memory.
template <typename T> T *malloc_copy(const char *bytes, size_t count) {
    T *out = static_cast<T *>(std::malloc(count == 0 ? 1 : count));
    if (out != nullptr && count > 0) std::memcpy(out, bytes, count);
    return out;
}

/// Runs `body`, turning every exception into a result code and a message, so none crosses into Swift; `cleanup`
/// runs first when one was thrown (to free what `body` had allocated).
template <typename Body, typename Cleanup>
int guarded(char *message, size_t capacity, Body body, Cleanup cleanup) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        cleanup();
        say(message, capacity, "out of memory");
        return SF_EXR_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        cleanup();
        say(message, capacity, clean(error.what()));
        return classify(error.what());
    } catch (...) {
        cleanup();
        say(message, capacity, "unknown OpenEXR error");
        return SF_EXR_CORRUPT;
    }
}

template <typename Body>
int guarded(char *message, size_t capacity, Body body) {
    return guarded(message, capacity, body, [] {});
}

}  // namespace

extern "C" {

const char *sf_exr_library_version(void) { return OPENEXR_VERSION_STRING; }

void sf_exr_free(void *pointer) { std::free(pointer); }

int sf_exr_decode(const uint8_t *data, size_t size, const char *layer, uint64_t max_pixels, sf_exr_info *info,
                  float **pixels, char *message, size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (data == nullptr || info == nullptr || pixels == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_EXR_INVALID_ARGUMENT;
    }
    *pixels = nullptr;
    std::memset(info, 0, sizeof(*info));
    float *buffer = nullptr;
    return guarded(message, message_capacity, [&]() -> int {
        if (size < 8 || !Imf::isImfMagic(reinterpret_cast<const char *>(data))) {
            say(message, message_capacity, "not an OpenEXR file (no magic number)");
            return size < 4 ? SF_EXR_TRUNCATED : SF_EXR_CORRUPT;
        }
        int version = 0;
        std::memcpy(&version, data + 4, sizeof(version));
        if (Imf::isNonImage(version)) {
            say(message, message_capacity, "deep data: StyleFarm reads flat images only");
            return SF_EXR_UNSUPPORTED;
        }
        MemoryInput counting(data, size);
        int parts = 1;
        {
            Imf::MultiPartInputFile multi(counting, 0);
            parts = multi.parts();
        }
        MemoryInput stream(data, size);
        Imf::InputFile file(stream, 0);
        const Imf::Header &header = file.header();
        const auto &dw = header.dataWindow(), &dsp = header.displayWindow();
        info->data_x0 = dw.min.x; info->data_y0 = dw.min.y; info->data_x1 = dw.max.x; info->data_y1 = dw.max.y;
        info->display_x0 = dsp.min.x; info->display_y0 = dsp.min.y; info->display_x1 = dsp.max.x; info->display_y1 = dsp.max.y;
        info->compression = static_cast<uint32_t>(header.compression());
        info->tiled = header.hasTileDescription() ? 1 : 0;
        info->parts = static_cast<uint32_t>(parts);
        int64_t width = static_cast<int64_t>(dw.max.x) - dw.min.x + 1, height = static_cast<int64_t>(dw.max.y) - dw.min.y + 1;
        if (width <= 0 || height <= 0) {
            say(message, message_capacity, "empty data window");
            return SF_EXR_CORRUPT;
        }
        if (static_cast<uint64_t>(width) * static_cast<uint64_t>(height) > max_pixels) {
            say(message, message_capacity, "data window " + std::to_string(width) + "x" + std::to_string(height) + " exceeds the pixel limit");
            return SF_EXR_TOO_LARGE;
        }
        std::string prefix = (layer != nullptr && layer[0] != 0) ? std::string(layer) + "." : std::string();
        const Imf::ChannelList &list = header.channels();
        auto channel = [&](const char *name) { return list.findChannel((prefix + name).c_str()); };
        const Imf::Channel *r = channel("R"), *g = channel("G"), *b = channel("B"), *a = channel("A"), *y = channel("Y");
        bool rgb = r != nullptr && g != nullptr && b != nullptr;
        if (!rgb && y == nullptr) {
            std::string names;
            for (auto it = list.begin(); it != list.end(); ++it) {
                if (names.size() > 400) { names += ", …"; break; }
                names += (names.empty() ? "" : ", ") + std::string(it.name());
            }
            say(message, message_capacity, (prefix.empty() ? std::string("no R, G, B or Y channels")
                                                            : "layer '" + std::string(layer) + "' has no R, G, B or Y channels") +
                                               " (channels: " + names + ")");
            return SF_EXR_UNSUPPORTED;
        }
        for (const Imf::Channel *c : {r, g, b, a, y}) {
            if (c != nullptr && (c->xSampling != 1 || c->ySampling != 1)) {
                say(message, message_capacity, "subsampled channels (luminance/chroma images) are not read");
                return SF_EXR_UNSUPPORTED;
            }
        }
        const Imf::Channel *colour = rgb ? r : y;
        info->half = colour->type == Imf::HALF ? 1 : 0;
        info->has_alpha = a != nullptr ? 1 : 0;
        uint32_t channels = (rgb || a != nullptr) ? (a != nullptr ? 4 : 3) : 1;
        info->channels = channels;
        size_t count = static_cast<size_t>(width) * static_cast<size_t>(height) * channels;
        buffer = static_cast<float *>(std::calloc(count, sizeof(float)));
        if (buffer == nullptr) {
            say(message, message_capacity, "out of memory for the pixels");
            return SF_EXR_OUT_OF_MEMORY;
        }
        // Slices address pixel (x, y) of the data window at base + x*xStride + y*yStride (absolute coordinates).
        size_t xStride = sizeof(float) * channels, yStride = xStride * static_cast<size_t>(width);
        char *base = reinterpret_cast<char *>(buffer) - static_cast<ptrdiff_t>(dw.min.x) * static_cast<ptrdiff_t>(xStride)
                     - static_cast<ptrdiff_t>(dw.min.y) * static_cast<ptrdiff_t>(yStride);
        Imf::FrameBuffer frame;
        if (rgb) {
            frame.insert(prefix + "R", Imf::Slice(Imf::FLOAT, base, xStride, yStride, 1, 1, 0.0));
            frame.insert(prefix + "G", Imf::Slice(Imf::FLOAT, base + sizeof(float), xStride, yStride, 1, 1, 0.0));
            frame.insert(prefix + "B", Imf::Slice(Imf::FLOAT, base + 2 * sizeof(float), xStride, yStride, 1, 1, 0.0));
        } else {
            frame.insert(prefix + "Y", Imf::Slice(Imf::FLOAT, base, xStride, yStride, 1, 1, 0.0));
        }
        if (a != nullptr) frame.insert(prefix + "A", Imf::Slice(Imf::FLOAT, base + 3 * sizeof(float), xStride, yStride, 1, 1, 1.0));
        file.setFrameBuffer(frame);
        file.readPixels(dw.min.y, dw.max.y);
        if (!rgb && a != nullptr) {
            // YA: the luminance into G and B too.
            for (size_t p = 0; p < count; p += 4) { buffer[p + 1] = buffer[p]; buffer[p + 2] = buffer[p]; }
        }
        *pixels = buffer;
        return SF_EXR_OK;
    }, [&] { std::free(buffer); });
}

int sf_exr_encode(const float *pixels, uint32_t width, uint32_t height, const sf_exr_encode_options *options,
                  uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    return sf_exr_encode_with_attributes(pixels, width, height, options, nullptr, 0, out, out_size, message, message_capacity);
}

int sf_exr_encode_with_attributes(const float *pixels, uint32_t width, uint32_t height,
                                  const sf_exr_encode_options *options, const sf_exr_attribute *attributes,
                                  size_t attribute_count, uint8_t **out, size_t *out_size, char *message,
                                  size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (pixels == nullptr || options == nullptr || out == nullptr || out_size == nullptr || width == 0 || height == 0 ||
        !(options->channels == 1 || options->channels == 3 || options->channels == 4) || options->compression > 9) {
        say(message, message_capacity, "invalid arguments (channels 1, 3 or 4; compression 0...9; a non-empty image)");
        return SF_EXR_INVALID_ARGUMENT;
    }
    std::string problem;
    if (!valid_attributes(attributes, attribute_count, problem)) {
        say(message, message_capacity, problem);
        return SF_EXR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    *out_size = 0;
    return guarded(message, message_capacity, [&]() -> int {
        Imf::Header header(static_cast<int>(width), static_cast<int>(height));
        header.compression() = static_cast<Imf::Compression>(options->compression);
        add_attributes(header, attributes, attribute_count);
        Imf::PixelType type = options->half ? Imf::HALF : Imf::FLOAT;
        uint32_t channels = options->channels;
        const char *names[4] = {"R", "G", "B", "A"};
        if (channels == 1) {
            header.channels().insert("Y", Imf::Channel(type));
        } else {
            for (uint32_t c = 0; c < channels; ++c) header.channels().insert(names[c], Imf::Channel(type));
        }
        MemoryOutput stream;
        {
            Imf::OutputFile file(stream, header, 0);
            // OutputFile takes the file's own pixel type: half files get their samples converted here (rounded to
            // the nearest half, as Imath's half constructor does).
            Imf::FrameBuffer frame;
            std::vector<IMATH_NAMESPACE::half> halves;
            char *base;
            size_t sample;
            if (options->half) {
                size_t count = static_cast<size_t>(width) * height * channels;
                halves.resize(count);
                for (size_t i = 0; i < count; ++i) halves[i] = IMATH_NAMESPACE::half(pixels[i]);
                base = reinterpret_cast<char *>(halves.data());
                sample = sizeof(IMATH_NAMESPACE::half);
            } else {
                base = const_cast<char *>(reinterpret_cast<const char *>(pixels));
                sample = sizeof(float);
            }
            size_t xStride = sample * channels, yStride = xStride * width;
            for (uint32_t c = 0; c < channels; ++c) {
                frame.insert(channels == 1 ? "Y" : names[c], Imf::Slice(type, base + c * sample, xStride, yStride));
            }
            file.setFrameBuffer(frame);
            file.writePixels(static_cast<int>(height));
        }
        uint8_t *bytes = static_cast<uint8_t *>(std::malloc(stream.bytes.size()));
        if (bytes == nullptr) {
            say(message, message_capacity, "out of memory for the file");
            return SF_EXR_OUT_OF_MEMORY;
        }
        std::memcpy(bytes, stream.bytes.data(), stream.bytes.size());
        *out = bytes;
        *out_size = stream.bytes.size();
        return SF_EXR_OK;
    });
}

int sf_exr_replace_layer(const uint8_t *source, size_t source_size, const char *layer, uint64_t max_pixels,
                         const float *pixels, uint32_t width, uint32_t height, uint32_t channels,
                         const sf_exr_encode_options *options, const sf_exr_attribute *extra_attributes,
                         size_t extra_count, uint8_t **out, size_t *out_size, char *message,
                         size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    using IMATH_NAMESPACE::half;
    if (source == nullptr || pixels == nullptr || options == nullptr || out == nullptr || out_size == nullptr ||
        width == 0 || height == 0 || !(channels == 3 || channels == 4) ||
        !(options->channels == 0 || options->channels == channels) || options->compression > 9) {
        say(message, message_capacity,
            "invalid arguments (channels 3 or 4, options->channels 0 or the same; compression 0...9; a non-empty image)");
        return SF_EXR_INVALID_ARGUMENT;
    }
    std::string problem;
    if (!valid_attributes(extra_attributes, extra_count, problem)) {
        say(message, message_capacity, problem);
        return SF_EXR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    *out_size = 0;
    return guarded(message, message_capacity, [&]() -> int {
        int version = 0;
        int code = check_start(source, source_size, false, version, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        int parts = count_parts(source, source_size);
        MemoryInput stream(source, source_size);
        Imf::InputFile file(stream, 0);
        const Imf::Header &header = file.header();
        if (header.hasType() && Imf::isDeepData(header.type())) {
            say(message, message_capacity, "deep data: StyleFarm reads flat images only");
            return SF_EXR_UNSUPPORTED;
        }
        const auto &dw = header.dataWindow();
        int64_t w = static_cast<int64_t>(dw.max.x) - dw.min.x + 1, h = static_cast<int64_t>(dw.max.y) - dw.min.y + 1;
        if (w <= 0 || h <= 0) {
            say(message, message_capacity, "empty data window");
            return SF_EXR_CORRUPT;
        }
        if (static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > max_pixels) {
            say(message, message_capacity, "data window " + std::to_string(w) + "x" + std::to_string(h) + " exceeds the pixel limit");
            return SF_EXR_TOO_LARGE;
        }
        if (w != width || h != height) {
            say(message, message_capacity, "the pixels are " + std::to_string(width) + "x" + std::to_string(height) +
                                               " but the source's data window is " + std::to_string(w) + "x" + std::to_string(h));
            return SF_EXR_INVALID_ARGUMENT;
        }
        std::string prefix = (layer != nullptr && layer[0] != 0) ? std::string(layer) + "." : std::string();
        const Imf::ChannelList &list = header.channels();
        const std::string replaced[4] = {prefix + "R", prefix + "G", prefix + "B", prefix + "A"};
        // A layer the file lacks entirely (none of its R, G, B) is added; one with only some of them is refused.
        bool adding = list.findChannel(replaced[0]) == nullptr && list.findChannel(replaced[1]) == nullptr &&
                      list.findChannel(replaced[2]) == nullptr && !prefix.empty();
        for (int c = 0; c < 3 && !adding; ++c) {
            const Imf::Channel *found = list.findChannel(replaced[c]);
            if (found == nullptr) {
                say(message, message_capacity, (prefix.empty() ? std::string("no R, G and B channels")
                                                                : "layer '" + std::string(layer) + "' has no R, G and B channels") +
                                                   " (channels: " + channel_list_text(list) + ")");
                return SF_EXR_UNSUPPORTED;
            }
            if (found->xSampling != 1 || found->ySampling != 1) {
                say(message, message_capacity, "subsampled channel '" + replaced[c] + "' (luminance/chroma images) cannot be replaced");
                return SF_EXR_UNSUPPORTED;
            }
        }
        auto is_replaced = [&](const std::string &name) {
            for (uint32_t c = 0; c < channels; ++c) {
                if (name == replaced[c]) return true;
            }
            return false;
        };

        // The output header: the source's, as a single-part scanline file with the new colour channels.
        Imf::Compression compression = static_cast<Imf::Compression>(options->compression);
        Imf::PixelType type = options->half ? Imf::HALF : Imf::FLOAT;
        // Built attribute by attribute, leaving out what a single-part scanline file must not say and what
        // extra_attributes replace.
        Imf::Header target;
        for (auto it = header.begin(); it != header.end(); ++it) {
            const char *name = it.name();
            if (std::strcmp(name, "tiles") == 0 || std::strcmp(name, "chunkCount") == 0 || std::strcmp(name, "version") == 0) continue;
            bool replacedByExtra = false;
            for (size_t i = 0; i < extra_count && !replacedByExtra; ++i) replacedByExtra = std::strcmp(name, extra_attributes[i].name) == 0;
            if (!replacedByExtra) target.insert(name, it.attribute());
        }
        if (target.hasType()) target.setType(Imf::SCANLINEIMAGE);
        if (target.lineOrder() == Imf::RANDOM_Y) target.lineOrder() = Imf::INCREASING_Y;
        target.compression() = compression;
        struct Pass {
            std::string name;
            Imf::PixelType type;
            int xSampling, ySampling;
            size_t sample, rowBytes;
            std::vector<char> buffer;
        };
        std::vector<Pass> passes;
        Imf::ChannelList targetList;
        for (auto it = list.begin(); it != list.end(); ++it) {
            const Imf::Channel &channel = it.channel();
            if (is_replaced(it.name())) {
                targetList.insert(it.name(), Imf::Channel(type, 1, 1, channel.pLinear));
                continue;
            }
            if (lossy_for(compression, it.name(), channel.type)) {
                say(message, message_capacity, "compression " + std::to_string(options->compression) + " would alter channel '" +
                                                   it.name() + "', which must pass through unchanged (use NONE, RLE, ZIPS, ZIP or PIZ)");
                return SF_EXR_UNSUPPORTED;
            }
            targetList.insert(it.name(), channel);
            size_t sample = channel.type == Imf::HALF ? sizeof(half) : 4;
            size_t perRow = static_cast<size_t>(w / channel.xSampling);
            passes.push_back(Pass{it.name(), channel.type, channel.xSampling, channel.ySampling, sample, perRow * sample, {}});
        }
        if (adding) {
            for (int c = 0; c < 3; ++c) targetList.insert(replaced[c], Imf::Channel(type));
        }
        if (channels == 4 && list.findChannel(replaced[3]) == nullptr) targetList.insert(replaced[3], Imf::Channel(type));
        target.channels() = targetList;
        add_attributes(target, extra_attributes, extra_count);

        // Strips of rows, about 64 MiB of samples each, aligned to the source's chunks where that fits.
        size_t rowBytes = options->half ? static_cast<size_t>(w) * channels * sizeof(half) : 0;
        for (const Pass &pass : passes) rowBytes += pass.rowBytes;
        int64_t rows = static_cast<int64_t>(SF_EXR_STRIP_BYTES / (rowBytes == 0 ? 1 : rowBytes));
        int64_t align = header.hasTileDescription() ? header.tileDescription().ySize : lines_per_chunk(header.compression());
        if (rows >= align) rows -= rows % align;
        if (rows < 1) rows = 1;
        if (rows > h) rows = h;
        for (Pass &pass : passes) pass.buffer.resize(static_cast<size_t>(rows / pass.ySampling + 1) * pass.rowBytes);
        std::vector<half> halves(options->half ? static_cast<size_t>(rows) * static_cast<size_t>(w) * channels : 0);

        MemoryOutput output;
        {
            Imf::OutputFile writer(output, target, 0);
            int64_t strips = (h + rows - 1) / rows;
            bool decreasing = target.lineOrder() == Imf::DECREASING_Y;
            for (int64_t k = 0; k < strips; ++k) {
                int64_t strip = decreasing ? strips - 1 - k : k;
                int64_t y0 = dw.min.y + strip * rows, y1 = std::min<int64_t>(y0 + rows - 1, dw.max.y);
                Imf::FrameBuffer in, frame;
                // Slices address sample (x, y) at base + floor(x/xs)*xStride + floor(y/ys)*yStride; a strip's buffer
                // starts at its first sampled row.
                for (Pass &pass : passes) {
                    ptrdiff_t firstRow = static_cast<ptrdiff_t>(ceil_div(y0, pass.ySampling));
                    ptrdiff_t firstX = static_cast<ptrdiff_t>(floor_div(dw.min.x, pass.xSampling));
                    char *base = pass.buffer.data() - firstRow * static_cast<ptrdiff_t>(pass.rowBytes) -
                                 firstX * static_cast<ptrdiff_t>(pass.sample);
                    Imf::Slice slice(pass.type, base, pass.sample, pass.rowBytes, pass.xSampling, pass.ySampling, 0.0);
                    in.insert(pass.name, slice);
                    frame.insert(pass.name, slice);
                }
                const char *colour;
                size_t sample;
                ptrdiff_t originY;
                if (options->half) {
                    size_t first = static_cast<size_t>(y0 - dw.min.y) * static_cast<size_t>(w) * channels;
                    size_t count = static_cast<size_t>(y1 - y0 + 1) * static_cast<size_t>(w) * channels;
                    for (size_t i = 0; i < count; ++i) halves[i] = half(pixels[first + i]);
                    colour = reinterpret_cast<const char *>(halves.data());
                    sample = sizeof(half);
                    originY = static_cast<ptrdiff_t>(y0);
                } else {
                    colour = reinterpret_cast<const char *>(pixels);
                    sample = sizeof(float);
                    originY = dw.min.y;
                }
                size_t xStride = sample * channels, yStride = xStride * static_cast<size_t>(w);
                char *base = const_cast<char *>(colour) - static_cast<ptrdiff_t>(dw.min.x) * static_cast<ptrdiff_t>(xStride) -
                             originY * static_cast<ptrdiff_t>(yStride);
                for (uint32_t c = 0; c < channels; ++c) {
                    frame.insert(replaced[c], Imf::Slice(type, base + c * sample, xStride, yStride));
                }
                if (!passes.empty()) {
                    file.setFrameBuffer(in);
                    file.readPixels(static_cast<int>(y0), static_cast<int>(y1));
                }
                writer.setFrameBuffer(frame);
                writer.writePixels(static_cast<int>(y1 - y0 + 1));
            }
        }
        uint8_t *bytes = malloc_copy<uint8_t>(output.bytes.data(), output.bytes.size());
        if (bytes == nullptr) {
            say(message, message_capacity, "out of memory for the file");
            return SF_EXR_OUT_OF_MEMORY;
        }
        *out = bytes;
        *out_size = output.bytes.size();
        std::string note;
        if (parts > 1) note = "note: the source has " + std::to_string(parts) + " parts; only the first was rewritten, the output has one";
        say(message, message_capacity, note);
        return SF_EXR_OK;
    });
}

int sf_exr_read_channels(const uint8_t *data, size_t size, const char *const *names, size_t count,
                         uint64_t max_pixels, sf_exr_info *info, float **pixels, char *message,
                         size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (data == nullptr || names == nullptr || count == 0 || info == nullptr || pixels == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_EXR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < count; ++i) {
        if (names[i] == nullptr || names[i][0] == 0) {
            say(message, message_capacity, "invalid arguments (channel name " + std::to_string(i) + " is empty)");
            return SF_EXR_INVALID_ARGUMENT;
        }
    }
    *pixels = nullptr;
    std::memset(info, 0, sizeof(*info));
    float *buffer = nullptr;
    return guarded(message, message_capacity, [&]() -> int {
        int version = 0;
        int code = check_start(data, size, false, version, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        int parts = count_parts(data, size);
        MemoryInput stream(data, size);
        Imf::InputFile file(stream, 0);
        const Imf::Header &header = file.header();
        fill_windows(info, header, parts);
        const auto &dw = header.dataWindow();
        int64_t width = static_cast<int64_t>(dw.max.x) - dw.min.x + 1, height = static_cast<int64_t>(dw.max.y) - dw.min.y + 1;
        if (width <= 0 || height <= 0) {
            say(message, message_capacity, "empty data window");
            return SF_EXR_CORRUPT;
        }
        uint64_t area = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
        if (area > max_pixels) {
            say(message, message_capacity, "data window " + std::to_string(width) + "x" + std::to_string(height) + " exceeds the pixel limit");
            return SF_EXR_TOO_LARGE;
        }
        const Imf::ChannelList &list = header.channels();
        bool allHalf = true;
        for (size_t i = 0; i < count; ++i) {
            const Imf::Channel *channel = list.findChannel(names[i]);
            if (channel == nullptr) {
                say(message, message_capacity, "no channel '" + std::string(names[i]) + "' (channels: " + channel_list_text(list) + ")");
                return SF_EXR_MISSING_CHANNEL;
            }
            if (channel->xSampling != 1 || channel->ySampling != 1) {
                say(message, message_capacity, "channel '" + std::string(names[i]) + "' is subsampled; it is not read");
                return SF_EXR_UNSUPPORTED;
            }
            if (channel->type != Imf::HALF) allHalf = false;
        }
        info->channels = static_cast<uint32_t>(count);
        info->half = allHalf ? 1 : 0;
        if (count > std::numeric_limits<size_t>::max() / sizeof(float) / area) {
            say(message, message_capacity, "out of memory for the pixels");
            return SF_EXR_OUT_OF_MEMORY;
        }
        size_t total = static_cast<size_t>(area) * count;
        buffer = static_cast<float *>(std::calloc(total, sizeof(float)));
        if (buffer == nullptr) {
            say(message, message_capacity, "out of memory for the pixels");
            return SF_EXR_OUT_OF_MEMORY;
        }
        size_t xStride = sizeof(float) * count, yStride = xStride * static_cast<size_t>(width);
        char *base = reinterpret_cast<char *>(buffer) - static_cast<ptrdiff_t>(dw.min.x) * static_cast<ptrdiff_t>(xStride)
                     - static_cast<ptrdiff_t>(dw.min.y) * static_cast<ptrdiff_t>(yStride);
        // FLOAT slices: float channels are copied as they are; a repeated name is read once and copied after.
        Imf::FrameBuffer frame;
        std::vector<size_t> first(count);
        for (size_t i = 0; i < count; ++i) {
            first[i] = i;
            for (size_t j = 0; j < i; ++j) {
                if (std::strcmp(names[i], names[j]) == 0) { first[i] = j; break; }
            }
            if (first[i] == i) frame.insert(names[i], Imf::Slice(Imf::FLOAT, base + i * sizeof(float), xStride, yStride, 1, 1, 0.0));
        }
        file.setFrameBuffer(frame);
        file.readPixels(dw.min.y, dw.max.y);
        for (size_t i = 0; i < count; ++i) {
            if (first[i] == i) continue;
            for (size_t p = 0; p < total; p += count) buffer[p + i] = buffer[p + first[i]];
        }
        *pixels = buffer;
        return SF_EXR_OK;
    }, [&] { std::free(buffer); });
}

int sf_exr_channel_names(const uint8_t *data, size_t size, char **names_joined, char *message,
                         size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (data == nullptr || names_joined == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_EXR_INVALID_ARGUMENT;
    }
    *names_joined = nullptr;
    return guarded(message, message_capacity, [&]() -> int {
        Imf::Header header;
        int code = read_header_only(data, size, header, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        std::string joined;
        for (auto it = header.channels().begin(); it != header.channels().end(); ++it) {
            if (!joined.empty()) joined += '\n';
            joined += it.name();
        }
        char *bytes = malloc_copy<char>(joined.c_str(), joined.size() + 1);
        if (bytes == nullptr) {
            say(message, message_capacity, "out of memory");
            return SF_EXR_OUT_OF_MEMORY;
        }
        *names_joined = bytes;
        return SF_EXR_OK;
    });
}

int sf_exr_string_attributes(const uint8_t *data, size_t size, char **joined, size_t *joined_size, char *message,
                             size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (data == nullptr || joined == nullptr || joined_size == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_EXR_INVALID_ARGUMENT;
    }
    *joined = nullptr;
    *joined_size = 0;
    return guarded(message, message_capacity, [&]() -> int {
        Imf::Header header;
        int code = read_header_only(data, size, header, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        std::string text;
        for (auto it = header.begin(); it != header.end(); ++it) {
            const auto *attribute = dynamic_cast<const Imf::StringAttribute *>(&it.attribute());
            if (attribute == nullptr) continue;
            text += it.name();
            text += '\0';
            text += attribute->value().c_str();  // cut at an embedded NUL
            text += '\0';
        }
        char *bytes = malloc_copy<char>(text.data(), text.size());
        if (bytes == nullptr) {
            say(message, message_capacity, "out of memory");
            return SF_EXR_OUT_OF_MEMORY;
        }
        *joined = bytes;
        *joined_size = text.size();
        return SF_EXR_OK;
    });
}

}  // extern "C"
