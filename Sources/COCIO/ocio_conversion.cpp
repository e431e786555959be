// OpenColorIO behind a C interface (COCIO.h): every OCIO call is inside try/catch; exceptions become result codes.
#include "COCIO.h"

#include <OpenColorIO/OpenColorIO.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

namespace OCIO = OCIO_NAMESPACE;

/// What sf_ocio_load builds: the baked conversion and its inverse, as 32-bit float CPU processors.
struct sf_ocio_conversion {
    OCIO::ConstCPUProcessorRcPtr forward;
    OCIO::ConstCPUProcessorRcPtr inverse;
};

namespace {

const char *const kCTFFormat = "Color Transform Format";

/// Copies `text` into `message` (NUL-terminated, cut to `capacity` at a UTF-8 character boundary).
void say(char *message, size_t capacity, const std::string &text) {
    if (message == nullptr || capacity == 0) return;
    size_t length = std::min(text.size(), capacity - 1);
    if (length < text.size()) {
        while (length > 0 && (static_cast<unsigned char>(text[length]) & 0xC0) == 0x80) --length;
    }
    std::memcpy(message, text.data(), length);
    message[length] = '\0';
}

/// A failure with its own result code, thrown by the helpers below and turned into that code by guarded().
struct Failure : std::exception {
    Failure(int code, std::string text) : code(code), text(std::move(text)) {}
    const char *what() const noexcept override { return text.c_str(); }
    int code;
    std::string text;
};

/// Runs `body`, turning every exception into a result code and a message, so none crosses into Swift: Failure
/// keeps its code, out of memory is SF_OCIO_OUT_OF_MEMORY, any other exception (OCIO's) is `fallback`.
template <typename Body> int guarded(char *message, size_t capacity, int fallback, Body body) {
    try {
        return body();
    } catch (const Failure &failure) {
        say(message, capacity, failure.text);
        return failure.code;
    } catch (const std::bad_alloc &) {
        say(message, capacity, "out of memory");
        return SF_OCIO_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        say(message, capacity, error.what());
        return fallback;
    } catch (...) {
        say(message, capacity, "unknown OpenColorIO error");
        return fallback;
    }
}

/// Silences OCIO's logging to stderr once per process (OCIO lets an OCIO_LOGGING_LEVEL environment variable win).
void quiet_logging() {
    static std::once_flag once;
    std::call_once(once, [] { OCIO::SetLoggingLevel(OCIO::LOGGING_LEVEL_NONE); });
}

/// Starts a call: logging quieted, `message` emptied (so a success leaves no stale text).
void begin(char *message, size_t capacity) {
    quiet_logging();
    say(message, capacity, "");
}

/// Copies `text` into a malloc'd NUL-terminated buffer; throws bad_alloc when out of memory.
char *malloc_text(const std::string &text) {
    char *out = static_cast<char *>(std::malloc(text.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

/// Reads and validates the config at `path`; SF_OCIO_CONFIG when it cannot be read or is invalid.
OCIO::ConstConfigRcPtr open_config(const char *path) {
    struct stat info;
    if (::stat(path, &info) == 0 && !S_ISREG(info.st_mode)) {  // (yaml-cpp leaks reading a directory)
        throw Failure(SF_OCIO_CONFIG, "cannot use the OCIO config '" + std::string(path) + "': it is not a file");
    }
    try {
        OCIO::ConstConfigRcPtr config = OCIO::Config::CreateFromFile(path);
        config->validate();
        return config;
    } catch (const std::bad_alloc &) {
        throw;
    } catch (const std::exception &error) {
        throw Failure(SF_OCIO_CONFIG, "cannot use the OCIO config '" + std::string(path) + "': " + error.what());
    }
}

/// Every colour space of the config: active scene-referred, active display-referred, then the inactive ones
/// (same order), each group in config order.
std::vector<std::string> colour_spaces(const OCIO::Config &config) {
    std::vector<std::string> names;
    for (OCIO::ColorSpaceVisibility visibility : {OCIO::COLORSPACE_ACTIVE, OCIO::COLORSPACE_INACTIVE}) {
        for (OCIO::SearchReferenceSpaceType reference :
             {OCIO::SEARCH_REFERENCE_SPACE_SCENE, OCIO::SEARCH_REFERENCE_SPACE_DISPLAY}) {
            const int count = config.getNumColorSpaces(reference, visibility);
            for (int i = 0; i < count; ++i) {
                // OCIO 2.1 lists an inactive space as often as inactive_colorspaces names it (and names that are
                // no colour space at all): keep each real one once.
                const char *name = config.getColorSpaceNameByIndex(reference, visibility, i);
                if (name == nullptr || *name == '\0' || !config.getColorSpace(name)) continue;
                if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
            }
        }
    }
    return names;
}

/// Every view of `display`: the active ones in their order, then the inactive display-defined and shared ones.
std::vector<std::string> views_of(const OCIO::Config &config, const char *display) {
    std::vector<std::string> views;
    auto add = [&views](const char *view) {
        if (view == nullptr || *view == '\0') return;
        for (const std::string &known : views) {
            if (known == view) return;
        }
        views.emplace_back(view);
    };
    const int active = config.getNumViews(display);
    for (int i = 0; i < active; ++i) add(config.getView(display, i));
    for (OCIO::ViewType type : {OCIO::VIEW_DISPLAY_DEFINED, OCIO::VIEW_SHARED}) {
        const int count = config.getNumViews(type, display);
        for (int i = 0; i < count; ++i) add(config.getView(type, display, i));
    }
    return views;
}

/// Every display of the config: the active ones in their order, then the inactive ones.
std::vector<std::string> displays(const OCIO::Config &config) {
    std::vector<std::string> names;
    auto add = [&names](const char *display) {
        if (display == nullptr || *display == '\0') return;
        for (const std::string &known : names) {
            if (known == display) return;
        }
        names.emplace_back(display);
    };
    const int active = config.getNumDisplays();
    for (int i = 0; i < active; ++i) add(config.getDisplay(i));
    const int all = config.getNumDisplaysAll();
    for (int i = 0; i < all; ++i) add(config.getDisplayAll(i));
    return names;
}

/// Every display/view pair, as "DISPLAY/VIEW".
std::vector<std::string> display_views(const OCIO::Config &config) {
    std::vector<std::string> pairs;
    for (const std::string &display : displays(config)) {
        for (const std::string &view : views_of(config, display.c_str())) pairs.push_back(display + "/" + view);
    }
    return pairs;
}

/// `text` then as many of `items` (joined by ", ") as fit in a message of `capacity` bytes, and "… (N more)" when
/// some did not.
void append_list(std::string &text, const std::vector<std::string> &items, size_t capacity) {
    const size_t reserve = 24;  // room for " … (NNNNN more)"
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string piece = (i == 0 ? "" : ", ") + items[i];
        if (capacity != 0 && text.size() + piece.size() + reserve >= capacity) {
            text += (i == 0 ? "… (" : ", … (") + std::to_string(items.size() - i) + " more)";
            return;
        }
        text += piece;
    }
}

/// A colour space's name for messages, quoted.
std::string quoted(const std::string &name) { return "'" + name + "'"; }

/// The conversion `space` → aces_interchange, per sf_ocio_bake's rules.
OCIO::TransformRcPtr to_interchange(const OCIO::Config &config, const std::string &path, const std::string &space,
                                    const std::string &interchange, size_t message_capacity, std::string &resolved) {
    if (OCIO::ConstColorSpaceRcPtr colour_space = config.getColorSpace(space.c_str())) {
        if (colour_space->isData()) {
            throw Failure(SF_OCIO_TRANSFORM, "colour space " + quoted(colour_space->getName()) +
                                                 " is a data space (isdata: true): OCIO does not convert it, so it "
                                                 "gives no conversion to linear Rec.709; name the plate's actual "
                                                 "colour space");
        }
        OCIO::ColorSpaceTransformRcPtr transform = OCIO::ColorSpaceTransform::Create();
        transform->setSrc(colour_space->getName());
        transform->setDst(interchange.c_str());
        resolved = colour_space->getName();
        return transform;
    }
    for (size_t slash = space.rfind('/'); slash != std::string::npos && slash > 0;
         slash = space.rfind('/', slash - 1)) {
        // Names as the config spells them, matched without regard to case as OCIO matches colour space names.
        const std::string asked_display = space.substr(0, slash), asked_view = space.substr(slash + 1);
        std::string display, view;
        for (const std::string &known : displays(config)) {
            if (display.empty() && ::strcasecmp(known.c_str(), asked_display.c_str()) == 0) display = known;
        }
        if (display.empty()) continue;
        for (const std::string &known : views_of(config, display.c_str())) {
            if (view.empty() && ::strcasecmp(known.c_str(), asked_view.c_str()) == 0) view = known;
        }
        if (view.empty()) continue;
        std::string view_space = config.getDisplayViewColorSpaceName(display.c_str(), view.c_str());
        if (view_space == OCIO::OCIO_VIEW_USE_DISPLAY_NAME) view_space = display;
        OCIO::ConstColorSpaceRcPtr colour_space = config.getColorSpace(view_space.c_str());
        if (colour_space && colour_space->isData()) {
            throw Failure(SF_OCIO_TRANSFORM, "view " + quoted(view) + " of display " + quoted(display) +
                                                 " shows the data space " + quoted(view_space) +
                                                 " (isdata: true): OCIO does not convert it, so it gives no "
                                                 "conversion to linear Rec.709");
        }
        OCIO::DisplayViewTransformRcPtr transform = OCIO::DisplayViewTransform::Create();
        transform->setSrc(interchange.c_str());
        transform->setDisplay(display.c_str());
        transform->setView(view.c_str());
        transform->setDirection(OCIO::TRANSFORM_DIR_INVERSE);
        resolved = display + "/" + view + " (inverse of the view)";
        return transform;
    }
    std::string text = "the OCIO config '" + path + "' has no colour space, role or display/view named " +
                       quoted(space) + ". Colour spaces: ";
    const std::vector<std::string> pairs = display_views(config);
    std::vector<std::string> spaces = colour_spaces(config);
    std::vector<std::string> items;
    for (const std::string &name : spaces) items.push_back(name);
    items.emplace_back("display/views: " + (pairs.empty() ? std::string("none") : pairs.front()));
    for (size_t i = 1; i < pairs.size(); ++i) items.push_back(pairs[i]);
    append_list(text, items, message_capacity);
    throw Failure(SF_OCIO_UNKNOWN_SPACE, text);
}

/// Two FNV-1a 64-bit hashes of `bytes` (different seeds) and its length, as hex: names a temporary file after its
/// content.
std::string content_name(const char *bytes, size_t size) {
    uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
    for (size_t i = 0; i < size; ++i) {
        const uint8_t c = static_cast<uint8_t>(bytes[i]);
        a = (a ^ c) * 0x100000001b3ull;
        b = (b ^ c ^ 0x5a) * 0x100000001b3ull;
    }
    char name[80];
    std::snprintf(name, sizeof(name), "%016llx%016llx-%llx.ctf", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b), static_cast<unsigned long long>(size));
    return name;
}

/// Case-insensitive search for `needle` (lower case) in `text`.
bool contains_folded(const char *text, size_t size, const char *needle) {
    const size_t length = std::strlen(needle);
    for (size_t i = 0; i + length <= size; ++i) {
        size_t k = 0;
        while (k < length && static_cast<char>(std::tolower(static_cast<unsigned char>(text[i + k]))) == needle[k]) {
            ++k;
        }
        if (k == length) return true;
    }
    return false;
}

bool space_char(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Refuses CTF text that could make OCIO read other files or allocate more than the text can fill (a peer sends
/// it). OCIO itself checks everything else; this only closes what its parsers would otherwise allow.
void check_untrusted_ctf(const char *text, size_t size) {
    auto refuse = [](const std::string &why) { throw Failure(SF_OCIO_TRANSFORM, "refused CTF text: " + why); };
    if (size == 0) refuse("it is empty");
    if (std::memchr(text, '\0', size) != nullptr) refuse("it holds a NUL byte");
    if (text[0] != '<') refuse("it is not XML (it must start with '<')");
    // <Reference path="…"> makes OCIO open another file (any path on this machine).
    if (contains_folded(text, size, "<reference")) refuse("it refers to another file (<Reference>)");
    // A DTD can declare entities; OCIO's CTF never has one.
    if (contains_folded(text, size, "<!doctype") || contains_folded(text, size, "<!entity")) {
        refuse("it has a document type declaration");
    }
    // When the CTF parser fails OCIO tries its other LUT readers on the file; the ICC one sizes a table from bytes
    // 128-131 once bytes 36-39 read "acsp".
    if (size >= 40 && std::memcmp(text + 36, "acsp", 4) == 0) refuse("it looks like an ICC profile");
    // Arrays are allocated at their declared dim="…" before their values are read: at most one value per 2 bytes.
    for (size_t i = 1; i + 3 <= size; ++i) {
        if (!space_char(text[i - 1]) || std::tolower(static_cast<unsigned char>(text[i])) != 'd' ||
            std::tolower(static_cast<unsigned char>(text[i + 1])) != 'i' ||
            std::tolower(static_cast<unsigned char>(text[i + 2])) != 'm') {
            continue;
        }
        size_t k = i + 3;
        while (k < size && space_char(text[k])) ++k;
        if (k >= size || text[k] != '=') continue;
        ++k;
        while (k < size && space_char(text[k])) ++k;
        if (k >= size || (text[k] != '"' && text[k] != '\'')) continue;
        const char quote = text[k++];
        double values = 1;
        bool any = false;
        while (k < size && text[k] != quote) {
            if (space_char(text[k])) {
                ++k;
                continue;
            }
            if (text[k] < '0' || text[k] > '9') refuse("an array's dim holds something other than numbers");
            double number = 0;
            while (k < size && text[k] >= '0' && text[k] <= '9') number = number * 10 + (text[k++] - '0');
            values *= number;
            any = true;
        }
        if (any && values > static_cast<double>(size) / 2) {
            refuse("an array declares more values than the text could hold");
        }
    }
}

/// A private temporary directory holding one file, both removed (and OCIO's file caches, which would otherwise
/// keep every loaded file's content for the life of the process, cleared) when it goes out of scope.
class TemporaryFile {
  public:
    TemporaryFile(const char *bytes, size_t size) {
        try {
            create(bytes, size);
        } catch (...) {
            remove();
            throw;
        }
    }
    ~TemporaryFile() { remove(); }
    TemporaryFile(const TemporaryFile &) = delete;
    TemporaryFile &operator=(const TemporaryFile &) = delete;
    const std::string &path() const { return path_; }

  private:
    void create(const char *bytes, size_t size) {
        const char *base = std::getenv("TMPDIR");
        std::string pattern = (base != nullptr && base[0] == '/') ? base : "/tmp";  // absolute: OCIO resolves paths
        while (pattern.size() > 1 && pattern.back() == '/') pattern.pop_back();
        pattern += "/stylefarm-ocio-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (::mkdtemp(buffer.data()) == nullptr) {
            throw Failure(SF_OCIO_TRANSFORM, "cannot make a temporary directory like '" + pattern +
                                                 "': " + std::strerror(errno));
        }
        directory_ = buffer.data();
        const std::string path = directory_ + "/" + content_name(bytes, size);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            throw Failure(SF_OCIO_TRANSFORM, "cannot create '" + path + "': " + std::strerror(errno));
        }
        path_ = path;  // (set once created, so that remove() deletes it)
        size_t done = 0;
        while (done < size) {
            const ssize_t wrote = ::write(fd, bytes + done, size - done);
            if (wrote < 0 && errno == EINTR) continue;
            if (wrote <= 0) {
                const int error = errno;
                ::close(fd);
                throw Failure(SF_OCIO_TRANSFORM, "cannot write '" + path + "': " + std::strerror(error));
            }
            done += static_cast<size_t>(wrote);
        }
        if (::close(fd) != 0) {
            throw Failure(SF_OCIO_TRANSFORM, "cannot write '" + path + "': " + std::strerror(errno));
        }
    }
    void remove() noexcept {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
            try {
                OCIO::ClearAllCaches();
            } catch (...) {
            }
        }
        if (!directory_.empty()) ::rmdir(directory_.c_str());
        path_.clear();
        directory_.clear();
    }

    std::string directory_;
    std::string path_;
};

/// OCIO's message for CTF text that did not load, without the temporary file's name and the boilerplate of its
/// "try every LUT format" fallback.
std::string load_error(std::string what, const std::string &path) {
    for (size_t at = what.find(path); at != std::string::npos; at = what.find(path, at)) {
        what.replace(at, path.size(), "<CTF text>");
    }
    const std::string marker = "gave the error:";
    const size_t at = what.find(marker);
    if (at != std::string::npos) what = what.substr(at + marker.size());
    const size_t first = what.find_first_not_of(" \t\r\n"), last = what.find_last_not_of(" \t\r\n");
    what = first == std::string::npos ? std::string("unknown error") : what.substr(first, last - first + 1);
    return "cannot load the CTF text: " + what;
}

}  // namespace

extern "C" {

const char *sf_ocio_version(void) { return OCIO::GetVersion(); }

void sf_ocio_free_text(char *text) { std::free(text); }

void sf_ocio_free(sf_ocio_conversion *conversion) { delete conversion; }

int sf_ocio_bake(const char *config_path, const char *space, const double *matrix, size_t max_bytes, char **ctf,
                 size_t *ctf_size, char *message, size_t message_capacity) {
    if (ctf != nullptr) *ctf = nullptr;
    if (ctf_size != nullptr) *ctf_size = 0;
    if (config_path == nullptr || space == nullptr || matrix == nullptr || ctf == nullptr || ctf_size == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_OCIO_INVALID_ARGUMENT;
    }
    for (int i = 0; i < 9; ++i) {
        if (!std::isfinite(matrix[i])) {
            say(message, message_capacity, "internal: the AP0 → linear Rec.709 matrix is not finite");
            return SF_OCIO_INVALID_ARGUMENT;
        }
    }
    return guarded(message, message_capacity, SF_OCIO_TRANSFORM, [&]() -> int {
        begin(message, message_capacity);
        if (*space == '\0') throw Failure(SF_OCIO_UNKNOWN_SPACE, "no colour space named (the name is empty)");
        const OCIO::ConstConfigRcPtr config = open_config(config_path);
        const char *interchange_role = OCIO::ROLE_INTERCHANGE_SCENE;  // "aces_interchange"
        OCIO::ConstColorSpaceRcPtr interchange =
            config->hasRole(interchange_role) ? config->getColorSpace(interchange_role) : nullptr;
        if (!interchange) {
            throw Failure(SF_OCIO_NO_INTERCHANGE,
                          "the OCIO config '" + std::string(config_path) + "' has no " +
                              (config->hasRole(interchange_role) ? "usable " : "") +
                              "'aces_interchange' role, so StyleFarm cannot relate its colour spaces to ACES2065-1: "
                              "add one under 'roles:' naming its ACES2065-1 colour space (e.g. "
                              "'aces_interchange: ACES2065-1'; OCIO 2 configs and ACES configs have it)");
        }
        OCIO::GroupTransformRcPtr chain = OCIO::GroupTransform::Create();
        std::string resolved;
        chain->appendTransform(
            to_interchange(*config, config_path, space, interchange->getName(), message_capacity, resolved));
        const double m44[16] = {matrix[0], matrix[1], matrix[2], 0, matrix[3], matrix[4], matrix[5], 0,
                                matrix[6], matrix[7], matrix[8], 0, 0,         0,         0,         1};
        OCIO::MatrixTransformRcPtr to_rec709 = OCIO::MatrixTransform::Create();
        to_rec709->setMatrix(m44);
        chain->appendTransform(to_rec709);

        std::string text;
        try {
            // The processor resolves FileTransforms (LUTs), looks, view transforms and builtins into plain ops,
            // which the CTF writer writes inline.
            OCIO::ConstProcessorRcPtr processor = config->getProcessor(chain);
            OCIO::GroupTransformRcPtr baked = processor->createGroupTransform();
            const std::string description = "StyleFarm: " + resolved + " -> " + interchange->getName() +
                                            " (aces_interchange) -> linear Rec.709 (D65)";
            baked->getFormatMetadata().addChildElement(OCIO::METADATA_DESCRIPTION, description.c_str());
            std::ostringstream out;
            baked->write(config, kCTFFormat, out);
            text = out.str();
        } catch (const std::bad_alloc &) {
            throw;
        } catch (const std::exception &error) {
            throw Failure(SF_OCIO_TRANSFORM, "cannot bake " + quoted(resolved) + " of the OCIO config '" +
                                                 std::string(config_path) + "': " + error.what());
        }
        if (text.size() > max_bytes) {
            throw Failure(SF_OCIO_TOO_LARGE, "the baked conversion of " + quoted(space) + " is " +
                                                 std::to_string(text.size()) + " bytes of CTF, over the limit of " +
                                                 std::to_string(max_bytes));
        }
        *ctf = malloc_text(text);
        *ctf_size = text.size();
        return SF_OCIO_OK;
    });
}

int sf_ocio_describe(const char *config_path, char **text, size_t *text_size, char *message,
                     size_t message_capacity) {
    if (text != nullptr) *text = nullptr;
    if (text_size != nullptr) *text_size = 0;
    if (config_path == nullptr || text == nullptr || text_size == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_OCIO_INVALID_ARGUMENT;
    }
    return guarded(message, message_capacity, SF_OCIO_CONFIG, [&]() -> int {
        begin(message, message_capacity);
        const OCIO::ConstConfigRcPtr config = open_config(config_path);
        std::string out;
        for (const std::string &name : colour_spaces(*config)) out += name + "\n";
        for (const std::string &pair : display_views(*config)) out += pair + "\n";
        const int roles = config->getNumRoles();
        for (int i = 0; i < roles; ++i) out += std::string("role:") + config->getRoleName(i) + "\n";
        *text = malloc_text(out);
        *text_size = out.size();
        return SF_OCIO_OK;
    });
}

int sf_ocio_load(const char *ctf, size_t ctf_size, sf_ocio_conversion **conversion, char *message,
                 size_t message_capacity) {
    if (conversion != nullptr) *conversion = nullptr;
    if (ctf == nullptr || conversion == nullptr) {
        say(message, message_capacity, "internal: missing argument");
        return SF_OCIO_INVALID_ARGUMENT;
    }
    return guarded(message, message_capacity, SF_OCIO_TRANSFORM, [&]() -> int {
        begin(message, message_capacity);
        check_untrusted_ctf(ctf, ctf_size);
        std::unique_ptr<sf_ocio_conversion> loaded(new sf_ocio_conversion());
        TemporaryFile file(ctf, ctf_size);
        try {
            OCIO::ConstConfigRcPtr config = OCIO::Config::CreateRaw();
            OCIO::FileTransformRcPtr transform = OCIO::FileTransform::Create();
            transform->setSrc(file.path().c_str());
            transform->setInterpolation(OCIO::INTERP_DEFAULT);  // each LUT keeps the interpolation baked into it
            loaded->forward = config->getProcessor(transform, OCIO::TRANSFORM_DIR_FORWARD)->getDefaultCPUProcessor();
            loaded->inverse = config->getProcessor(transform, OCIO::TRANSFORM_DIR_INVERSE)->getDefaultCPUProcessor();
        } catch (const std::bad_alloc &) {
            throw;
        } catch (const std::exception &error) {
            throw Failure(SF_OCIO_TRANSFORM, load_error(error.what(), file.path()));
        }
        *conversion = loaded.release();
        return SF_OCIO_OK;
    });
}

int sf_ocio_apply(const sf_ocio_conversion *conversion, float *rgb, size_t pixels, int inverse, char *message,
                  size_t message_capacity) {
    if (conversion == nullptr || (rgb == nullptr && pixels != 0) || (inverse != 0 && inverse != 1)) {
        say(message, message_capacity, "internal: missing or invalid argument");
        return SF_OCIO_INVALID_ARGUMENT;
    }
    say(message, message_capacity, "");
    if (pixels == 0) return SF_OCIO_OK;
    return guarded(message, message_capacity, SF_OCIO_TRANSFORM, [&]() -> int {
        const OCIO::ConstCPUProcessorRcPtr &processor = inverse ? conversion->inverse : conversion->forward;
        const size_t chunk = size_t(1) << 20;
        for (size_t done = 0; done < pixels; done += chunk) {
            const size_t count = pixels - done < chunk ? pixels - done : chunk;
            OCIO::PackedImageDesc image(rgb + done * 3, static_cast<long>(count), 1, 3);
            processor->apply(image);
        }
        return SF_OCIO_OK;
    });
}

}  // extern "C"
