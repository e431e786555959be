// OpenEXR behind a C interface (CEXR.h): every OpenEXR call is inside try/catch; exceptions become result codes.
#include "CEXR.h"

#include <ImfChannelList.h>
#include <ImfCompression.h>
#include <ImfDeepScanLineInputPart.h>
#include <ImfDeepScanLineOutputPart.h>
#include <ImfDeepTiledInputPart.h>
#include <ImfDeepTiledOutputPart.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfInputFile.h>
#include <ImfInputPart.h>
#include <ImfMultiPartInputFile.h>
#include <ImfMultiPartOutputFile.h>
#include <ImfOutputFile.h>
#include <ImfOutputPart.h>
#include <ImfPartType.h>
#include <ImfStringAttribute.h>
#include <ImfTileDescription.h>
#include <ImfTiledInputPart.h>
#include <ImfTiledOutputPart.h>
#include <ImfVersion.h>
#include <OpenEXRConfig.h>
#include <half.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SF_EXR_STRIP_BYTES
#define SF_EXR_STRIP_BYTES (size_t(64) << 20)  // samples held at once by sf_exr_replace_layer (tests set it small)
#endif

#ifndef SF_EXR_MAX_PARTS
#define SF_EXR_MAX_PARTS 4096  // parts a multi-part file may have (OpenEXR holds every part's header before any check)
#endif

namespace {

/// Writes `text` into the caller's message buffer (cut to fit, NUL-terminated); nothing when there is none.
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

/// The result code for an exception's text: SF_EXR_TRUNCATED when the file ended early, else SF_EXR_CORRUPT.
int classify(const std::string &what) {
    if (what.find("sf-truncated") != std::string::npos || what.find("end of file") != std::string::npos ||
        what.find("Unexpected end") != std::string::npos) {
        return SF_EXR_TRUNCATED;
    }
    return SF_EXR_CORRUPT;
}

/// An exception's text for `message`, without this file's "sf-truncated: " tag.
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

/// Attributes OpenEXR 3.1 requires to be equal in every part of a multi-part file (besides the reserved
/// displayWindow and pixelAspectRatio): sf_exr_replace_layer may not set them in one part.
bool shared_attribute(const char *name) {
    return std::strcmp(name, "chromaticities") == 0 || std::strcmp(name, "timeCode") == 0 ||
           std::strcmp(name, "timecode") == 0;
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

/// The number of part headers at the start of a multi-part file, counted on its bytes without allocating, up to
/// `limit` + 1. Counting stops at a header it cannot follow (OpenEXR then says what is wrong with it).
size_t count_headers(const uint8_t *data, size_t size, size_t limit) {
    size_t position = 8, count = 0;
    while (position < size && data[position] != 0 && count <= limit) {
        // One header: attributes (name NUL, type name NUL, 32-bit little-endian size, value) up to a NUL byte.
        while (true) {
            if (position >= size) return count;
            if (data[position] == 0) {
                ++position;
                break;
            }
            for (int text = 0; text < 2; ++text) {
                const void *end = std::memchr(data + position, 0, size - position);
                if (end == nullptr) return count;
                position = static_cast<size_t>(static_cast<const uint8_t *>(end) - data) + 1;
            }
            if (size - position < 4) return count;
            uint32_t length = static_cast<uint32_t>(data[position]) | static_cast<uint32_t>(data[position + 1]) << 8 |
                              static_cast<uint32_t>(data[position + 2]) << 16 | static_cast<uint32_t>(data[position + 3]) << 24;
            position += 4;
            if (length > size - position) return count;
            position += length;
        }
        ++count;
    }
    return count;
}

/// SF_EXR_UNSUPPORTED, with `message` set, when a multi-part file has more than SF_EXR_MAX_PARTS parts.
int check_part_count(const uint8_t *data, size_t size, int version, char *message, size_t capacity) {
    if (!OPENEXR_IMF_NAMESPACE::isMultiPart(version) || count_headers(data, size, SF_EXR_MAX_PARTS) <= SF_EXR_MAX_PARTS) {
        return SF_EXR_OK;
    }
    say(message, capacity, "more than " + std::to_string(SF_EXR_MAX_PARTS) + " parts: not read");
    return SF_EXR_UNSUPPORTED;
}

/// The magic number and version field, as InputFile checks them, and the part count (check_part_count):
/// SF_EXR_OK, or a code with `message` set. `deep_allowed`: files with the non-image (deep) flag pass (header-only
/// readers); otherwise only multi-part ones do (their deep parts are refused or copied part by part).
int check_start(const uint8_t *data, size_t size, bool deep_allowed, int &version, char *message, size_t capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (size < 8 || !Imf::isImfMagic(reinterpret_cast<const char *>(data))) {
        say(message, capacity, "not an OpenEXR file (no magic number)");
        return size < 4 ? SF_EXR_TRUNCATED : SF_EXR_CORRUPT;
    }
    std::memcpy(&version, data + 4, sizeof(version));
    if (!deep_allowed && Imf::isNonImage(version) && !Imf::isMultiPart(version)) {
        say(message, capacity, "deep data: StyleFarm reads flat images only");
        return SF_EXR_UNSUPPORTED;
    }
    if (Imf::getVersion(version) != Imf::EXR_VERSION || !Imf::supportsFlags(Imf::getFlags(version))) {
        say(message, capacity, "unsupported OpenEXR version field " + std::to_string(version));
        return SF_EXR_CORRUPT;
    }
    return check_part_count(data, size, version, message, capacity);
}

/// Reads only the headers (no offset tables, no pixels) of a file that passed check_start: the first of a
/// single-part file, every part's of a multi-part one.
void read_headers(const uint8_t *data, size_t size, int version, std::vector<OPENEXR_IMF_NAMESPACE::Header> &headers) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    MemoryInput stream(data, size);
    stream.seekg(8);
    bool multi = Imf::isMultiPart(version);
    do {
        Imf::Header header;
        header.readFrom(stream, version);
        if (multi && header.readsNothing()) break;
        bool tiled = header.hasType() ? Imf::isTiled(header.type()) : Imf::isTiled(version);
        if (!header.hasType() || !Imf::isDeepData(header.type())) header.sanityCheck(tiled, multi);
        headers.push_back(header);
    } while (multi);
    if (headers.empty()) throw std::runtime_error("a multi-part file without parts");
}

/// The headers of a file held in memory, read alone (deep files and files with truncated pixels too): one for a
/// single-part file, one per part for a multi-part one; a result code and message when it does not start as an
/// OpenEXR file.
int read_header_only(const uint8_t *data, size_t size, std::vector<OPENEXR_IMF_NAMESPACE::Header> &headers,
                     char *message, size_t capacity) {
    int version = 0;
    int code = check_start(data, size, true, version, message, capacity);
    if (code == SF_EXR_OK) read_headers(data, size, version, headers);
    return code;
}

/// Every part's header of an opened file, in file order.
std::vector<const OPENEXR_IMF_NAMESPACE::Header *> part_headers(const OPENEXR_IMF_NAMESPACE::MultiPartInputFile &multi) {
    std::vector<const OPENEXR_IMF_NAMESPACE::Header *> headers;
    for (int i = 0; i < multi.parts(); ++i) headers.push_back(&multi.header(i));
    return headers;
}

/// The same, for headers read alone.
std::vector<const OPENEXR_IMF_NAMESPACE::Header *> part_headers(const std::vector<OPENEXR_IMF_NAMESPACE::Header> &read) {
    std::vector<const OPENEXR_IMF_NAMESPACE::Header *> headers;
    for (const auto &header : read) headers.push_back(&header);
    return headers;
}

/// Whether a part holds a flat image (scanline or tiled, not deep or of an unknown type): only those are decoded.
bool flat_part(const OPENEXR_IMF_NAMESPACE::Header &header) {
    return !header.hasType() || OPENEXR_IMF_NAMESPACE::isImage(header.type());
}

/// "part 'depth'" (or "part 3" when it has no name), for messages.
std::string part_label(const OPENEXR_IMF_NAMESPACE::Header &header, size_t index) {
    return header.hasName() ? "part '" + header.name() + "'" : "part " + std::to_string(index);
}

/// Whether `list` has a layer's colour channels: `prefix`R, G and B, or `prefix`Y.
bool has_colour(const OPENEXR_IMF_NAMESPACE::ChannelList &list, const std::string &prefix) {
    return (list.findChannel(prefix + "R") != nullptr && list.findChannel(prefix + "G") != nullptr &&
            list.findChannel(prefix + "B") != nullptr) ||
           list.findChannel(prefix + "Y") != nullptr;
}

/// The part holding `layer` (NULL or "": the unnamed one) among flat parts, as CEXR.h states the rule: the first
/// with `layer`.R, .G, .B (or .Y); else, for a named layer, the first whose name is `layer` and that has R, G, B
/// (or Y). Its index, with the layer's channel prefix in that part in `prefix`; -1 when no part holds it.
int find_layer_part(const std::vector<const OPENEXR_IMF_NAMESPACE::Header *> &headers, const char *layer,
                    std::string &prefix) {
    std::string name = (layer != nullptr && layer[0] != 0) ? std::string(layer) : std::string();
    std::string wanted = name.empty() ? std::string() : name + ".";
    for (size_t i = 0; i < headers.size(); ++i) {
        if (flat_part(*headers[i]) && has_colour(headers[i]->channels(), wanted)) {
            prefix = wanted;
            return static_cast<int>(i);
        }
    }
    for (size_t i = 0; i < headers.size() && !name.empty(); ++i) {
        if (flat_part(*headers[i]) && headers[i]->hasName() && headers[i]->name() == name &&
            has_colour(headers[i]->channels(), "")) {
            prefix.clear();
            return static_cast<int>(i);
        }
    }
    return -1;
}

/// A channel of a multi-part file as sf_exr_channel_names lists it: the listed name, its part and its own name.
struct Listed {
    std::string name;
    int part;
    std::string channel;
};

/// The channels of a multi-part file as sf_exr_channel_names lists them (the rule is in CEXR.h): parts in file
/// order, each part's channels in OpenEXR's order; a part with a name and only unprefixed channels (no '.')
/// lists them as "name.CHANNEL" unless that is some part's own channel name; a name already listed is not
/// listed again.
std::vector<Listed> list_channels(const std::vector<const OPENEXR_IMF_NAMESPACE::Header *> &headers) {
    std::set<std::string> own, listed;
    for (const auto *header : headers) {
        for (auto it = header->channels().begin(); it != header->channels().end(); ++it) own.insert(it.name());
    }
    std::vector<Listed> out;
    for (size_t p = 0; p < headers.size(); ++p) {
        const auto &list = headers[p]->channels();
        bool qualify = headers[p]->hasName() && !headers[p]->name().empty() &&
                       headers[p]->name().find('\n') == std::string::npos;
        for (auto it = list.begin(); it != list.end() && qualify; ++it) qualify = std::strchr(it.name(), '.') == nullptr;
        for (auto it = list.begin(); it != list.end(); ++it) {
            std::string shown = it.name();
            if (qualify && own.count(headers[p]->name() + "." + shown) == 0) shown = headers[p]->name() + "." + shown;
            if (listed.insert(shown).second) out.push_back(Listed{shown, static_cast<int>(p), it.name()});
        }
    }
    return out;
}

/// The part and own name of channel `name` of a multi-part file: the channel sf_exr_channel_names lists as
/// `name`, else the first part's (in file order) channel of exactly that name. -1 when there is none.
int resolve_channel(const std::vector<Listed> &listed, const std::vector<const OPENEXR_IMF_NAMESPACE::Header *> &headers,
                    const char *name, std::string &channel) {
    for (const Listed &entry : listed) {
        if (entry.name == name) {
            channel = entry.channel;
            return entry.part;
        }
    }
    for (size_t p = 0; p < headers.size(); ++p) {
        if (headers[p]->channels().findChannel(name) != nullptr) {
            channel = name;
            return static_cast<int>(p);
        }
    }
    return -1;
}

/// "R, G, B, …" of listed names (at most about 400 bytes) for messages.
std::string listed_text(const std::vector<Listed> &listed) {
    std::string names;
    for (const Listed &entry : listed) {
        if (names.size() > 400) { names += ", …"; break; }
        names += (names.empty() ? "" : ", ") + entry.name;
    }
    return names;
}

/// Fills `info`'s windows, compression, tiling and part count from a part's header.
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

/// sf_exr_decode's work on the part `file` reads (an InputFile, or an InputPart of a multi-part file): the
/// colour channels `prefix`R, G, B (or Y) and A into a calloc'd `buffer`; `layer` is for messages only.
template <typename Reader>
int decode_part(Reader &file, int parts, const std::string &prefix, const char *layer, uint64_t max_pixels,
                sf_exr_info *info, float *&buffer, char *message, size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
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
    const Imf::ChannelList &list = header.channels();
    auto channel = [&](const char *name) { return list.findChannel((prefix + name).c_str()); };
    const Imf::Channel *r = channel("R"), *g = channel("G"), *b = channel("B"), *a = channel("A"), *y = channel("Y");
    bool rgb = r != nullptr && g != nullptr && b != nullptr;
    if (!rgb && y == nullptr) {
        say(message, message_capacity, (prefix.empty() ? std::string("no R, G, B or Y channels")
                                                        : "layer '" + std::string(layer) + "' has no R, G, B or Y channels") +
                                           " (channels: " + channel_list_text(list) + ")");
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
    return SF_EXR_OK;
}

/// A channel sf_exr_replace_layer passes through unchanged, and the strip buffer it is read into.
struct Pass {
    std::string name;
    OPENEXR_IMF_NAMESPACE::PixelType type;
    int xSampling, ySampling;
    size_t sample, rowBytes;
    std::vector<char> buffer;
};

/// What sf_exr_replace_layer writes for the part holding the layer: its output header, the channels passed
/// through, the names of the replaced ones, and the source part's data window and chunk height.
struct Replacement {
    OPENEXR_IMF_NAMESPACE::Header target;
    std::vector<Pass> passes;
    std::string replaced[4];
    IMATH_NAMESPACE::Box2i window;
    int64_t width = 0, height = 0, align = 1;
};

/// Checks a flat part's header against sf_exr_replace_layer's arguments and plans its rewrite (CEXR.h's rules,
/// `prefix` being the layer's channel prefix in the part; `layer` is for messages only): SF_EXR_OK, or a code with
/// `message` set.
int plan_replacement(const OPENEXR_IMF_NAMESPACE::Header &header, const std::string &prefix, const char *layer,
                     uint64_t max_pixels, uint32_t width, uint32_t height, uint32_t channels,
                     const sf_exr_encode_options *options, const sf_exr_attribute *extra_attributes, size_t extra_count,
                     Replacement &plan, char *message, size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    using IMATH_NAMESPACE::half;
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
    const Imf::ChannelList &list = header.channels();
    std::string *replaced = plan.replaced;
    const char *suffixes[4] = {"R", "G", "B", "A"};
    for (int c = 0; c < 4; ++c) replaced[c] = prefix + suffixes[c];
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

    // The output header: the source part's, as scanlines with the new colour channels.
    Imf::Compression compression = static_cast<Imf::Compression>(options->compression);
    Imf::PixelType type = options->half ? Imf::HALF : Imf::FLOAT;
    // Built attribute by attribute, leaving out what a scanline part must not say, what OpenEXR recomputes and
    // what extra_attributes replace.
    Imf::Header &target = plan.target;
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
        plan.passes.push_back(Pass{it.name(), channel.type, channel.xSampling, channel.ySampling, sample, perRow * sample, {}});
    }
    if (adding) {
        for (int c = 0; c < 3; ++c) targetList.insert(replaced[c], Imf::Channel(type));
    }
    if (channels == 4 && list.findChannel(replaced[3]) == nullptr) targetList.insert(replaced[3], Imf::Channel(type));
    target.channels() = targetList;
    add_attributes(target, extra_attributes, extra_count);
    plan.window = dw;
    plan.width = w;
    plan.height = h;
    plan.align = header.hasTileDescription() ? header.tileDescription().ySize : lines_per_chunk(header.compression());
    return SF_EXR_OK;
}

/// Writes a planned part: reads the passed-through channels from `file` (an InputFile, or an InputPart) in strips
/// of about SF_EXR_STRIP_BYTES, aligned to the source's chunks where that fits, and writes them with `pixels` as
/// the replaced channels through `writer` (an OutputFile, or an OutputPart).
template <typename Reader, typename Writer>
void write_replacement(Reader &file, Writer &writer, Replacement &plan, const float *pixels, uint32_t channels,
                       bool halfOut) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    using IMATH_NAMESPACE::half;
    const auto &dw = plan.window;
    const int64_t w = plan.width, h = plan.height;
    Imf::PixelType type = halfOut ? Imf::HALF : Imf::FLOAT;
    size_t rowBytes = halfOut ? static_cast<size_t>(w) * channels * sizeof(half) : 0;
    for (const Pass &pass : plan.passes) rowBytes += pass.rowBytes;
    int64_t rows = static_cast<int64_t>(SF_EXR_STRIP_BYTES / (rowBytes == 0 ? 1 : rowBytes));
    if (rows >= plan.align) rows -= rows % plan.align;
    if (rows < 1) rows = 1;
    if (rows > h) rows = h;
    for (Pass &pass : plan.passes) pass.buffer.resize(static_cast<size_t>(rows / pass.ySampling + 1) * pass.rowBytes);
    std::vector<half> halves(halfOut ? static_cast<size_t>(rows) * static_cast<size_t>(w) * channels : 0);

    int64_t strips = (h + rows - 1) / rows;
    bool decreasing = plan.target.lineOrder() == Imf::DECREASING_Y;
    for (int64_t k = 0; k < strips; ++k) {
        int64_t strip = decreasing ? strips - 1 - k : k;
        int64_t y0 = dw.min.y + strip * rows, y1 = std::min<int64_t>(y0 + rows - 1, dw.max.y);
        Imf::FrameBuffer in, frame;
        // Slices address sample (x, y) at base + floor(x/xs)*xStride + floor(y/ys)*yStride; a strip's buffer
        // starts at its first sampled row.
        for (Pass &pass : plan.passes) {
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
        if (halfOut) {
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
            frame.insert(plan.replaced[c], Imf::Slice(type, base + c * sample, xStride, yStride));
        }
        if (!plan.passes.empty()) {
            file.setFrameBuffer(in);
            file.readPixels(static_cast<int>(y0), static_cast<int>(y1));
        }
        writer.setFrameBuffer(frame);
        writer.writePixels(static_cast<int>(y1 - y0 + 1));
    }
}

/// Reads the little-endian 64-bit number at `p`.
uint64_t read_u64(const uint8_t *p) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = value << 8 | p[i];
    return value;
}

/// OpenEXR 3.1 copies a deep chunk raw trusting the two sizes in its header (sample count table, packed samples):
/// it allocates that much and reads past its buffer when their sum overflows. Checks them against the file, `end`
/// being where its stream stands just after reading them; throws when they reach past the file.
void check_deep_chunk(const uint8_t *data, size_t size, uint64_t end, const std::string &label) {
    if (end < 16 || end > size) throw std::runtime_error(label + ": damaged deep data chunk");
    uint64_t table = read_u64(data + end - 16), packed = read_u64(data + end - 8);
    if (table > size || packed > size) throw std::runtime_error(label + ": a deep data chunk claims more bytes than the file has");
    if (end + 8 + table + packed > size) throw std::runtime_error("sf-truncated: " + label + ": the file ends inside a deep data chunk");
}

/// check_deep_chunk for every chunk of a deep scanline part read from `stream`.
void check_deep_part(OPENEXR_IMF_NAMESPACE::DeepScanLineInputPart &part, MemoryInput &stream, const uint8_t *data,
                     size_t size, const std::string &label) {
    const auto &dw = part.header().dataWindow();
    int step = lines_per_chunk(part.header().compression());
    for (int64_t y = dw.min.y; y <= dw.max.y; y += step) {
        uint64_t bytes = 0;
        part.rawPixelData(static_cast<int>(y), nullptr, bytes);  // reads the chunk's header only
        check_deep_chunk(data, size, stream.tellg(), label);
    }
}

/// check_deep_chunk for every tile, at every level, of a deep tiled part read from `stream`.
void check_deep_part(OPENEXR_IMF_NAMESPACE::DeepTiledInputPart &part, MemoryInput &stream, const uint8_t *data,
                     size_t size, const std::string &label) {
    auto level = [&](int lx, int ly) {
        for (int dy = 0; dy < part.numYTiles(ly); ++dy) {
            for (int dx = 0; dx < part.numXTiles(lx); ++dx) {
                int x = dx, y = dy, levelX = lx, levelY = ly;
                uint64_t bytes = 0;
                part.rawTileData(x, y, levelX, levelY, nullptr, bytes);  // reads the tile's header only
                check_deep_chunk(data, size, stream.tellg(), label);
            }
        }
    };
    if (part.levelMode() == OPENEXR_IMF_NAMESPACE::RIPMAP_LEVELS) {
        for (int ly = 0; ly < part.numYLevels(); ++ly) {
            for (int lx = 0; lx < part.numXLevels(); ++lx) level(lx, ly);
        }
    } else {
        for (int l = 0; l < part.numLevels(); ++l) level(l, l);
    }
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

/// guarded, with nothing to clean up.
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
        if (Imf::isNonImage(version) && !Imf::isMultiPart(version)) {
            say(message, message_capacity, "deep data: StyleFarm reads flat images only");
            return SF_EXR_UNSUPPORTED;
        }
        int code = check_part_count(data, size, version, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        MemoryInput counting(data, size);
        Imf::MultiPartInputFile multi(counting, 0);
        int parts = multi.parts();
        if (parts == 1) {
            if (Imf::isNonImage(version)) {
                say(message, message_capacity, "deep data: StyleFarm reads flat images only");
                return SF_EXR_UNSUPPORTED;
            }
            MemoryInput stream(data, size);
            Imf::InputFile file(stream, 0);
            std::string prefix = (layer != nullptr && layer[0] != 0) ? std::string(layer) + "." : std::string();
            code = decode_part(file, parts, prefix, layer, max_pixels, info, buffer, message, message_capacity);
        } else {
            auto headers = part_headers(multi);
            std::string prefix;
            int part = find_layer_part(headers, layer, prefix);
            if (part < 0) {
                info->parts = static_cast<uint32_t>(parts);
                bool named = layer != nullptr && layer[0] != 0;
                say(message, message_capacity,
                    (named ? "no part holds layer '" + std::string(layer) + "' (" + layer + ".R, .G, .B or .Y, or a part named '" +
                                 layer + "' with R, G, B or Y)"
                           : std::string("no part has R, G, B or Y channels")) +
                        " (channels: " + listed_text(list_channels(headers)) + ")");
                return SF_EXR_UNSUPPORTED;
            }
            Imf::InputPart input(multi, part);
            code = decode_part(input, parts, prefix, layer, max_pixels, info, buffer, message, message_capacity);
        }
        if (code == SF_EXR_OK) *pixels = buffer;
        return code;
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
        MemoryInput stream(source, source_size);
        Imf::MultiPartInputFile multi(stream, 0);
        int parts = multi.parts();
        MemoryOutput output;
        if (parts == 1) {
            // A single-part file: read as InputFile, written as one scanline part (as before multi-part support).
            if (Imf::isNonImage(version)) {
                say(message, message_capacity, "deep data: StyleFarm reads flat images only");
                return SF_EXR_UNSUPPORTED;
            }
            MemoryInput single(source, source_size);
            Imf::InputFile file(single, 0);
            std::string prefix = (layer != nullptr && layer[0] != 0) ? std::string(layer) + "." : std::string();
            Replacement plan;
            code = plan_replacement(file.header(), prefix, layer, max_pixels, width, height, channels, options,
                                    extra_attributes, extra_count, plan, message, message_capacity);
            if (code != SF_EXR_OK) return code;
            Imf::OutputFile writer(output, plan.target, 0);
            write_replacement(file, writer, plan, pixels, channels, options->half != 0);
        } else {
            auto headers = part_headers(multi);
            std::string prefix;
            int chosen = find_layer_part(headers, layer, prefix);
            if (chosen < 0) {
                if (layer == nullptr || layer[0] == 0) {
                    say(message, message_capacity, "no part has R, G and B channels (channels: " +
                                                       listed_text(list_channels(headers)) + ")");
                    return SF_EXR_UNSUPPORTED;
                }
                chosen = 0;  // a named layer no part holds is added to the first part
                prefix = std::string(layer) + ".";
            }
            const Imf::Header &header = *headers[chosen];
            if (!flat_part(header)) {
                say(message, message_capacity, part_label(header, chosen) + " is not a flat image (type " + header.type() +
                                                   "): the layer cannot be added to it");
                return SF_EXR_UNSUPPORTED;
            }
            for (size_t i = 0; i < extra_count; ++i) {
                if (shared_attribute(extra_attributes[i].name)) {
                    say(message, message_capacity, "attribute '" + std::string(extra_attributes[i].name) +
                                                       "' must be the same in every part of a multi-part file; it cannot be set here");
                    return SF_EXR_INVALID_ARGUMENT;
                }
            }
            Replacement plan;
            code = plan_replacement(header, prefix, layer, max_pixels, width, height, channels, options, extra_attributes,
                                    extra_count, plan, message, message_capacity);
            if (code != SF_EXR_OK) return code;
            // Every other part is copied raw; deep ones after their chunks are checked, others of unknown types refused.
            for (int i = 0; i < parts; ++i) {
                if (i == chosen) continue;
                const std::string &type = headers[i]->type();
                std::string label = part_label(*headers[i], i);
                if (type == Imf::DEEPSCANLINE) {
                    Imf::DeepScanLineInputPart part(multi, i);
                    check_deep_part(part, stream, source, source_size, label);
                } else if (type == Imf::DEEPTILE) {
                    Imf::DeepTiledInputPart part(multi, i);
                    check_deep_part(part, stream, source, source_size, label);
                } else if (type != Imf::SCANLINEIMAGE && type != Imf::TILEDIMAGE) {
                    say(message, message_capacity, label + " has type '" + type + "', which cannot be copied");
                    return SF_EXR_UNSUPPORTED;
                }
            }
            std::vector<Imf::Header> written;
            for (int i = 0; i < parts; ++i) written.push_back(i == chosen ? plan.target : *headers[i]);
            Imf::MultiPartOutputFile writer(output, written.data(), parts, false, 0);
            for (int i = 0; i < parts; ++i) {
                const std::string &type = headers[i]->type();
                try {
                    if (i == chosen) {
                        Imf::InputPart input(multi, i);
                        Imf::OutputPart part(writer, i);
                        write_replacement(input, part, plan, pixels, channels, options->half != 0);
                    } else if (type == Imf::SCANLINEIMAGE) {
                        Imf::InputPart input(multi, i);
                        Imf::OutputPart(writer, i).copyPixels(input);
                    } else if (type == Imf::TILEDIMAGE) {
                        Imf::TiledInputPart input(multi, i);
                        Imf::TiledOutputPart(writer, i).copyPixels(input);
                    } else if (type == Imf::DEEPSCANLINE) {
                        Imf::DeepScanLineInputPart input(multi, i);
                        Imf::DeepScanLineOutputPart(writer, i).copyPixels(input);
                    } else {
                        Imf::DeepTiledInputPart input(multi, i);
                        Imf::DeepTiledOutputPart(writer, i).copyPixels(input);
                    }
                } catch (const std::bad_alloc &) {
                    throw;
                } catch (const std::exception &error) {
                    throw std::runtime_error(part_label(*headers[i], i) + ": " + error.what());  // which part failed
                }
            }
        }
        uint8_t *bytes = malloc_copy<uint8_t>(output.bytes.data(), output.bytes.size());
        if (bytes == nullptr) {
            say(message, message_capacity, "out of memory for the file");
            return SF_EXR_OUT_OF_MEMORY;
        }
        *out = bytes;
        *out_size = output.bytes.size();
        say(message, message_capacity, "");
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
        MemoryInput counting(data, size);
        Imf::MultiPartInputFile multi(counting, 0);
        int parts = multi.parts();
        if (parts == 1 && Imf::isNonImage(version)) {
            say(message, message_capacity, "deep data: StyleFarm reads flat images only");
            return SF_EXR_UNSUPPORTED;
        }
        // A single-part file is read as InputFile (as before multi-part support).
        std::unique_ptr<MemoryInput> stream;
        std::unique_ptr<Imf::InputFile> file;
        if (parts == 1) {
            stream.reset(new MemoryInput(data, size));
            file.reset(new Imf::InputFile(*stream, 0));
        }
        // Where each name is read: the part and the channel's own name there (single-part files: the name itself).
        auto headers = part_headers(multi);
        if (parts == 1) headers[0] = &file->header();
        std::vector<int> part(count, 0);
        std::vector<std::string> channel(count);
        std::vector<Listed> listed;
        if (parts > 1) listed = list_channels(headers);
        fill_windows(info, *headers[0], parts);
        if (parts == 1) {
            for (size_t i = 0; i < count; ++i) channel[i] = names[i];
        } else {
            for (size_t i = 0; i < count; ++i) {
                part[i] = resolve_channel(listed, headers, names[i], channel[i]);
                if (part[i] < 0) {
                    say(message, message_capacity, "no channel '" + std::string(names[i]) + "' (channels: " + listed_text(listed) + ")");
                    return SF_EXR_MISSING_CHANNEL;
                }
                const Imf::Header &header = *headers[part[i]];
                if (!flat_part(header)) {
                    say(message, message_capacity, "channel '" + std::string(names[i]) + "' is in " + part_label(header, part[i]) +
                                                       ", which is not a flat image (type " + header.type() + "); it is not read");
                    return SF_EXR_UNSUPPORTED;
                }
                if (header.dataWindow() != headers[part[0]]->dataWindow()) {
                    say(message, message_capacity, "channels '" + std::string(names[0]) + "' (" + part_label(*headers[part[0]], part[0]) +
                                                       ") and '" + names[i] + "' (" + part_label(header, part[i]) +
                                                       ") have different data windows; read them separately");
                    return SF_EXR_UNSUPPORTED;
                }
            }
            fill_windows(info, *headers[part[0]], parts);
        }
        const Imf::Header &header = *headers[part[0]];
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
        bool allHalf = true;
        for (size_t i = 0; i < count; ++i) {
            const Imf::ChannelList &list = headers[part[i]]->channels();
            const Imf::Channel *found = list.findChannel(channel[i]);
            if (found == nullptr) {
                say(message, message_capacity, "no channel '" + std::string(names[i]) + "' (channels: " + channel_list_text(list) + ")");
                return SF_EXR_MISSING_CHANNEL;
            }
            if (found->xSampling != 1 || found->ySampling != 1) {
                say(message, message_capacity, "channel '" + std::string(names[i]) + "' is subsampled; it is not read");
                return SF_EXR_UNSUPPORTED;
            }
            if (found->type != Imf::HALF) allHalf = false;
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
        // FLOAT slices: float channels are copied as they are; a channel asked for twice (by the same or another
        // name) is read once and copied after.
        std::vector<size_t> first(count);
        for (size_t i = 0; i < count; ++i) {
            first[i] = i;
            for (size_t j = 0; j < i; ++j) {
                if (part[i] == part[j] && channel[i] == channel[j]) { first[i] = j; break; }
            }
        }
        auto frame_for = [&](int p) {
            Imf::FrameBuffer frame;
            for (size_t i = 0; i < count; ++i) {
                if (first[i] == i && part[i] == p) {
                    frame.insert(channel[i], Imf::Slice(Imf::FLOAT, base + i * sizeof(float), xStride, yStride, 1, 1, 0.0));
                }
            }
            return frame;
        };
        if (parts == 1) {
            file->setFrameBuffer(frame_for(0));
            file->readPixels(dw.min.y, dw.max.y);
        } else {
            for (int p = 0; p < parts; ++p) {
                if (std::find(part.begin(), part.end(), p) == part.end()) continue;
                Imf::InputPart input(multi, p);
                input.setFrameBuffer(frame_for(p));
                input.readPixels(dw.min.y, dw.max.y);
            }
        }
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
    if (data == nullptr || names_joined == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_EXR_INVALID_ARGUMENT;
    }
    *names_joined = nullptr;
    return guarded(message, message_capacity, [&]() -> int {
        std::vector<OPENEXR_IMF_NAMESPACE::Header> headers;
        int code = read_header_only(data, size, headers, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        std::string joined;
        if (headers.size() == 1) {
            for (auto it = headers[0].channels().begin(); it != headers[0].channels().end(); ++it) {
                if (!joined.empty()) joined += '\n';
                joined += it.name();
            }
        } else {
            for (const Listed &entry : list_channels(part_headers(headers))) {
                if (!joined.empty()) joined += '\n';
                joined += entry.name;
            }
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
        std::vector<Imf::Header> headers;
        int code = read_header_only(data, size, headers, message, message_capacity);
        if (code != SF_EXR_OK) return code;
        // The part holding the unnamed layer first (else the first part), then the other parts in file order; a name
        // already taken keeps its first value. Sorted by name (the order of a header's own attributes).
        std::string prefix;
        int primary = std::max(0, find_layer_part(part_headers(headers), nullptr, prefix));
        std::map<std::string, std::string> strings;
        for (size_t k = 0; k < headers.size(); ++k) {
            const Imf::Header &header = headers[k == 0 ? primary : (static_cast<int>(k) <= primary ? k - 1 : k)];
            for (auto it = header.begin(); it != header.end(); ++it) {
                const auto *attribute = dynamic_cast<const Imf::StringAttribute *>(&it.attribute());
                if (attribute == nullptr) continue;
                strings.emplace(it.name(), std::string(attribute->value().c_str()));  // cut at an embedded NUL
            }
        }
        std::string text;
        for (const auto &entry : strings) {
            text += entry.first;
            text += '\0';
            text += entry.second;
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
