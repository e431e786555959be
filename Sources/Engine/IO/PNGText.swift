/// Text in PNG files (ISO/IEC 15948, §11.3.4): how a frame records how it was made (``Provenance``). Written as
/// uncompressed `iTXt` chunks (UTF-8 text) right after IHDR; read from `tEXt` (Latin-1) and uncompressed `iTXt`.
public enum PNGText {
    /// `png` with one `iTXt` chunk per entry of `text` (in key order, so files are repeatable) after its IHDR.
    /// Keys are PNG keywords: 1–79 printable Latin-1 characters without leading, trailing or double spaces.
    public static func inserting(_ text: [String: String], into png: [UInt8], name: String = "<memory>") throws -> [UInt8] {
        guard !text.isEmpty else { return png }
        let chunks: [PNGChunks.Chunk]
        do { chunks = try PNGChunks.parse(png) } catch let error as PNGChunks.Malformed {
            throw ImageIOError.corrupt(path: name, reason: error.reason)
        }
        guard let header = chunks.first, header.type == "IHDR" else {
            throw ImageIOError.corrupt(path: name, reason: "the PNG does not start with IHDR")
        }
        let afterHeader = header.offset + 12 + header.data.count
        var out = Array(png[..<afterHeader])
        for (key, value) in text.sorted(by: { $0.key < $1.key }) {
            guard isKeyword(key) else {
                throw ImageIOError.invalidImage(path: name, reason: "\(key.debugDescription) is not a PNG text keyword (1–79 printable characters)")
            }
            // keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL, text.
            PNGChunks.append("iTXt", key.unicodeScalars.map { UInt8($0.value) } + [0, 0, 0, 0, 0] + Array(value.utf8), to: &out)
        }
        out += png[afterHeader...]
        return out
    }

    /// `png` without its text chunks (`tEXt`, `iTXt`, `zTXt`): the image as encoded, to compare two frames whose
    /// provenance differs (the same render on the farm and by `stylefarm stylize`).
    public static func removingText(from png: [UInt8], name: String = "<memory>") throws -> [UInt8] {
        let chunks: [PNGChunks.Chunk]
        do { chunks = try PNGChunks.parse(png) } catch let error as PNGChunks.Malformed {
            throw ImageIOError.corrupt(path: name, reason: error.reason)
        }
        var out = PNGChunks.signature
        for chunk in chunks where !["tEXt", "iTXt", "zTXt"].contains(chunk.type) {
            out += png[chunk.offset..<(chunk.offset + 12 + chunk.data.count)]
        }
        return out
    }

    /// The text of `png`'s `tEXt` and uncompressed `iTXt` chunks, by keyword (a later chunk of the same keyword wins).
    public static func read(_ png: [UInt8], name: String = "<memory>") throws -> [String: String] {
        let chunks: [PNGChunks.Chunk]
        do { chunks = try PNGChunks.parse(png) } catch let error as PNGChunks.Malformed {
            throw ImageIOError.corrupt(path: name, reason: error.reason)
        }
        var text: [String: String] = [:]
        for chunk in chunks {
            let data = Array(chunk.data)
            guard let nul = data.firstIndex(of: 0), nul > 0 else { continue }
            let key = latin1(data[..<nul])
            switch chunk.type {
            case "tEXt":
                // Latin-1: each byte is its own code point.
                text[key] = latin1(data[(nul + 1)...])
            case "iTXt":
                // flag, method, language tag NUL, translated keyword NUL, then the text; compressed text is skipped.
                guard data.count > nul + 2, data[nul + 1] == 0 else { continue }
                var rest = data[(nul + 3)...]
                guard let languageEnd = rest.firstIndex(of: 0) else { continue }
                rest = rest[(languageEnd + 1)...]
                guard let translatedEnd = rest.firstIndex(of: 0) else { continue }
                text[key] = String(decoding: rest[(translatedEnd + 1)...], as: UTF8.self)
            default:
                continue
            }
        }
        return text
    }

    /// Whether `key` is a valid PNG keyword.
    static func isKeyword(_ key: String) -> Bool {
        let scalars = Array(key.unicodeScalars)
        guard (1...79).contains(scalars.count), scalars.first != " ", scalars.last != " ", !key.contains("  ") else { return false }
        return scalars.allSatisfy { (32...126).contains($0.value) || (161...255).contains($0.value) }
    }

    private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
