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
#include <ImfVersion.h>
#include <OpenEXRConfig.h>
#include <half.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

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
    try {
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
    } catch (const std::bad_alloc &) {
        std::free(buffer);
        say(message, message_capacity, "out of memory");
        return SF_EXR_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        std::free(buffer);
        say(message, message_capacity, clean(error.what()));
        return classify(error.what());
    } catch (...) {
        std::free(buffer);
        say(message, message_capacity, "unknown OpenEXR error");
        return SF_EXR_CORRUPT;
    }
}

int sf_exr_encode(const float *pixels, uint32_t width, uint32_t height, const sf_exr_encode_options *options,
                  uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    namespace Imf = OPENEXR_IMF_NAMESPACE;
    if (pixels == nullptr || options == nullptr || out == nullptr || out_size == nullptr || width == 0 || height == 0 ||
        !(options->channels == 1 || options->channels == 3 || options->channels == 4) || options->compression > 9) {
        say(message, message_capacity, "invalid arguments (channels 1, 3 or 4; compression 0...9; a non-empty image)");
        return SF_EXR_INVALID_ARGUMENT;
    }
    *out = nullptr;
    *out_size = 0;
    try {
        Imf::Header header(static_cast<int>(width), static_cast<int>(height));
        header.compression() = static_cast<Imf::Compression>(options->compression);
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
    } catch (const std::bad_alloc &) {
        say(message, message_capacity, "out of memory");
        return SF_EXR_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        say(message, message_capacity, error.what());
        return SF_EXR_CORRUPT;
    } catch (...) {
        say(message, message_capacity, "unknown OpenEXR error");
        return SF_EXR_CORRUPT;
    }
}

}  // extern "C"
