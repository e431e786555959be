/// A frame-sequence path such as `plates/shot010.####.png`, with exactly one frame placeholder in
/// its file name.
///
/// Placeholders (Nuke/Deadline/Houdini conventions):
/// - `#` runs: the number of hashes is the zero-padded width (`####` → `0042`; `#` → no padding).
/// - printf: `%0Nd` (zero-padded to N) and `%d` (no padding). `%Nd` (space padding) is rejected;
///   `%%` is a literal `%`; any other `%` is literal.
/// - Houdini: `$FN` (zero-padded to N) and `$F` (no padding), when not followed by a letter, digit or `_`.
///
/// Frames wider than the padding print in full (`####` with 12345 → `12345`). Negative frames follow
/// printf: the sign counts toward the width (`####` with −5 → `-005`). `match` is the exact inverse of
/// `path(for:)`: it accepts a name only if formatting the number it contains gives that name back.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    /// How the placeholder was written (kept for messages and round trips).
    public enum PlaceholderStyle: String, Sendable, Hashable { case hashes, printf, houdini }

    /// The pattern as written (after resolution, with the normalized directory).
    public let text: String
    /// The directory part (`.` when there is none), literal and lexically normalized.
    public let directory: String
    /// The file-name template as written, e.g. `shot010.####.png`.
    public let fileNameTemplate: String
    /// Literal file-name text before and after the placeholder.
    public let fileNamePrefix: String
    public let fileNameSuffix: String
    /// The placeholder as written (`####`, `%04d`, `$F4`), its style and zero-padded width (≥ 1).
    public let placeholder: String
    public let style: PlaceholderStyle
    public let width: Int

    /// Parses `text`; throws `PathPatternError` when there is no placeholder, more than one, or it
    /// is in a directory component.
    public init(_ text: String) throws {
        if text.isEmpty { throw PathPatternError.empty }
        let chars = Array(text)
        var literal = ""                    // literal text so far (escapes resolved)
        struct Found { var text: String; var style: PlaceholderStyle; var width: Int; var literalOffset: Int; var charIndex: Int }
        var found: [Found] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "#" {
                var j = i
                while j < chars.count && chars[j] == "#" { j += 1 }
                found.append(Found(text: String(chars[i..<j]), style: .hashes, width: j - i, literalOffset: literal.count, charIndex: i))
                i = j
            } else if c == "%" {
                if i + 1 < chars.count && chars[i + 1] == "%" { literal.append("%"); i += 2; continue }
                var j = i + 1
                while j < chars.count && chars[j].isASCII && chars[j].isNumber { j += 1 }
                if j < chars.count && chars[j] == "d" {
                    let digits = String(chars[(i + 1)..<j])
                    let token = String(chars[i...j])
                    if !digits.isEmpty && !digits.hasPrefix("0") {
                        throw PathPatternError.spacePadding(pattern: text, placeholder: token)
                    }
                    found.append(Found(text: token, style: .printf, width: max(1, Int(digits) ?? 1), literalOffset: literal.count, charIndex: i))
                    i = j + 1
                } else {
                    literal.append("%"); i += 1
                }
            } else if c == "$" && i + 1 < chars.count && chars[i + 1] == "F" {
                var j = i + 2
                while j < chars.count && chars[j].isASCII && chars[j].isNumber { j += 1 }
                let next = j < chars.count ? chars[j] : nil
                if let n = next, n.isLetter || n == "_" {
                    literal.append(c); i += 1
                } else {
                    let digits = String(chars[(i + 2)..<j])
                    found.append(Found(text: String(chars[i..<j]), style: .houdini, width: max(1, Int(digits) ?? 1), literalOffset: literal.count, charIndex: i))
                    i = j
                }
            } else {
                literal.append(c); i += 1
            }
        }
        guard let placeholder = found.first else { throw PathPatternError.noPlaceholder(pattern: text) }
        if found.count > 1 {
            throw PathPatternError.multiplePlaceholders(pattern: text, placeholders: found.map(\.text))
        }
        let before = String(literal.prefix(placeholder.literalOffset))
        let after = String(literal.dropFirst(placeholder.literalOffset))
        if after.contains("/") {
            throw PathPatternError.placeholderInDirectory(pattern: text, placeholder: placeholder.text)
        }
        let slash = before.lastIndex(of: "/")
        let rawDirectory = slash.map { String(before[...$0]) } ?? ""
        // The file-name template as written starts after the last '/' before the placeholder.
        let templateStart = chars[..<placeholder.charIndex].lastIndex(of: "/").map { $0 + 1 } ?? 0
        self.directory = rawDirectory.isEmpty ? "." : PathNormalization.normalize(rawDirectory)
        self.fileNameTemplate = String(chars[templateStart...])
        self.fileNamePrefix = slash.map { String(before[before.index(after: $0)...]) } ?? before
        self.fileNameSuffix = after
        self.placeholder = placeholder.text
        self.style = placeholder.style
        self.width = placeholder.width
        self.text = rawDirectory.isEmpty ? fileNameTemplate : PathNormalization.join(directory, fileNameTemplate)
    }

    /// The frame number formatted for this placeholder (zero-padded; sign counts toward the width).
    public func frameString(_ frame: Int) -> String {
        let digits = String(frame.magnitude)
        let sign = frame < 0 ? "-" : ""
        let pad = max(0, width - sign.count - digits.count)
        return sign + String(repeating: "0", count: pad) + digits
    }

    /// The file name of `frame`, e.g. `shot010.0042.png`.
    public func fileName(for frame: Int) -> String { fileNamePrefix + frameString(frame) + fileNameSuffix }

    /// The path of `frame` (directory joined with the file name).
    public func path(for frame: Int) -> String {
        PathNormalization.join(directory, fileName(for: frame))
    }

    /// The frame whose file name is `fileName` (a bare name, no directory), or nil if it is not one of
    /// this sequence's names. Exact inverse of `fileName(for:)`: `shot.012.png` does not match `####`.
    public func match(_ fileName: String) -> Int? {
        guard fileName.count > fileNamePrefix.count + fileNameSuffix.count,
              fileName.hasPrefix(fileNamePrefix), fileName.hasSuffix(fileNameSuffix) else { return nil }
        let middle = String(fileName.dropFirst(fileNamePrefix.count).dropLast(fileNameSuffix.count))
        guard middle.count <= 11, let frame = Int(middle), !middle.hasPrefix("+"),
              frameString(frame) == middle else { return nil }
        return frame
    }

    /// This pattern with a relative directory made absolute against `base` (normalized lexically).
    public func resolved(against base: String) -> PathPattern {
        let dir = PathNormalization.resolve(directory, against: base)
        // Re-parsing a directory we produced cannot fail: the file-name template parsed before.
        return (try? PathPattern(PathNormalization.join(dir, fileNameTemplate))) ?? self
    }

    /// Parses `text` as an output pattern inside `outputDirectory`: it must be relative, and after
    /// lexical normalization no `..` may remain (outputs never escape the directory). The result's
    /// directory is `outputDirectory` joined with the pattern's (normalized) directory.
    public static func output(_ text: String, in outputDirectory: String) throws -> PathPattern {
        let pattern = try PathPattern(text)
        if text.hasPrefix("/") { throw PathPatternError.absoluteOutput(pattern: text) }
        let relative = PathNormalization.normalize(pattern.directory)
        if relative == ".." || relative.hasPrefix("../") {
            throw PathPatternError.escapesOutputDirectory(pattern: text, directory: outputDirectory)
        }
        let joined = relative == "." ? outputDirectory : PathNormalization.join(outputDirectory, relative)
        return try PathPattern(PathNormalization.join(PathNormalization.normalize(joined), pattern.fileNameTemplate))
    }

    public var description: String { text }
}
