/// A set of frame numbers written the way VFX tools (Nuke, Deadline) write them.
///
/// Syntax: comma-separated items, each `N` (one frame), `A-B` (inclusive) or `A-BxS` (every S-th
/// frame from A up to at most B). Whitespace around items and separators is ignored.
///
/// Conventions:
/// - Frames are kept **sorted ascending with duplicates removed** (`5,1-3,2` is frames 1, 2, 3, 5),
///   as Nuke and Deadline do; a job renders each frame once, in order.
/// - **Negative frames** are allowed (`-5--1`, `-10-10x5`); a minus sign right before a number is its sign.
/// - **Descending ranges** (`10-1`) are rejected with an error that says to write them ascending.
/// - The step must be positive; `x0` and `x-2` are errors.
/// - At most `maxFrames` frames (default 1,000,000): the count is computed before anything is
///   allocated, so `1-999999999` fails fast. Frame numbers are bounded by ±`frameNumberLimit`.
public struct FrameRange: Sendable, Hashable, CustomStringConvertible {
    /// Default maximum number of frames in one range.
    public static let defaultMaxFrames = 1_000_000
    /// Largest magnitude of a frame number (keeps all arithmetic far from overflow).
    public static let frameNumberLimit = 999_999_999

    /// The frames, ascending, without duplicates.
    public let frames: [Int]

    /// A range of exactly these frames (sorted, duplicates removed).
    public init<S: Sequence>(frames: S) where S.Element == Int {
        self.frames = Array(Set(frames)).sorted()
    }

    /// Parses `text`; throws `FrameRangeError` naming the offending item and column.
    public init(parsing text: String, maxFrames: Int = FrameRange.defaultMaxFrames) throws {
        let characters = Array(text)
        if characters.allSatisfy(\.isWhitespace) { throw FrameRangeError.empty }
        var set = Set<Int>()
        var start = 0
        while start <= characters.count {
            var end = start
            while end < characters.count && characters[end] != "," { end += 1 }
            let item = try Self.parseItem(characters[start..<end], column: start + 1)
            let count = (item.last - item.first) / item.step + 1
            if count > maxFrames {
                throw FrameRangeError.tooManyFrames(item: item.text, column: item.column, limit: maxFrames)
            }
            set.formUnion(stride(from: item.first, through: item.last, by: item.step))
            if set.count > maxFrames {
                throw FrameRangeError.tooManyFrames(item: item.text, column: item.column, limit: maxFrames)
            }
            start = end + 1
        }
        frames = set.sorted()
    }

    public var count: Int { frames.count }
    public var isEmpty: Bool { frames.isEmpty }
    public var first: Int? { frames.first }
    public var last: Int? { frames.last }
    public func contains(_ frame: Int) -> Bool { Self.binarySearch(frames, frame) }

    /// The shortest-form string in this syntax: consecutive runs become `A-B`, evenly spaced runs of
    /// three or more become `A-BxS`, the rest single frames. Parsing it gives back an equal range.
    public var compactString: String {
        var items: [String] = []
        var i = 0
        while i < frames.count {
            let a = frames[i]
            guard i + 1 < frames.count else { items.append("\(a)"); break }
            let step = frames[i + 1] - a
            var j = i + 1
            while j + 1 < frames.count && frames[j + 1] - frames[j] == step { j += 1 }
            let runLength = j - i + 1
            if step == 1 {
                items.append("\(a)-\(frames[j])"); i = j + 1
            } else if runLength >= 3 {
                items.append("\(a)-\(frames[j])x\(step)"); i = j + 1
            } else {
                items.append("\(a)"); i += 1
            }
        }
        return items.joined(separator: ",")
    }

    public var description: String { compactString }

    // MARK: - Parsing

    private struct Item { var text: String; var column: Int; var first: Int; var last: Int; var step: Int }

    /// One comma-separated item; `column` is the 1-based column of its first character.
    private static func parseItem(_ chars: ArraySlice<Character>, column: Int) throws -> Item {
        let text = String(chars).trimmingWhitespace
        if text.isEmpty { throw FrameRangeError.emptyItem(column: column) }
        let itemColumn = column + (chars.firstIndex(where: { !$0.isWhitespace }).map { $0 - chars.startIndex } ?? 0)
        var scanner = Scanner(Array(text))
        func malformed(_ reason: String) -> FrameRangeError {
            .malformed(item: text, column: itemColumn, reason: reason)
        }
        guard let first = scanner.integer() else {
            throw malformed("expected a frame number, like 1, 1-100 or 1-100x2")
        }
        var last = first, step = 1, isRange = false
        scanner.skipWhitespace()
        if scanner.take("-") {
            isRange = true
            guard let end = scanner.integer() else { throw malformed("expected an end frame after '-'") }
            last = end
            scanner.skipWhitespace()
            if scanner.take("x") || scanner.take("X") {
                guard let s = scanner.integer() else { throw malformed("expected a step after 'x', like 1-100x2") }
                step = s
                scanner.skipWhitespace()
            }
        }
        if !scanner.atEnd {
            throw malformed(isRange ? "unexpected text after the range" : "expected '-' or ',' after the frame number")
        }
        for v in [first, last] where abs(v) > frameNumberLimit {
            throw FrameRangeError.frameOutOfBounds(item: text, column: itemColumn)
        }
        if step <= 0 { throw FrameRangeError.nonPositiveStep(item: text, column: itemColumn) }
        if first > last { throw FrameRangeError.descending(item: text, column: itemColumn) }
        return Item(text: text, column: itemColumn, first: first, last: last, step: step)
    }

    private struct Scanner {
        var chars: [Character]
        var i = 0
        init(_ chars: [Character]) { self.chars = chars }
        var atEnd: Bool { i >= chars.count }
        mutating func skipWhitespace() { while i < chars.count && chars[i].isWhitespace { i += 1 } }
        mutating func take(_ c: Character) -> Bool {
            if i < chars.count && chars[i] == c { i += 1; return true }
            return false
        }
        /// An optionally signed decimal integer, or nil when none starts here (after whitespace).
        mutating func integer() -> Int? {
            skipWhitespace()
            let start = i
            if i < chars.count && chars[i] == "-" { i += 1 }
            let digitsStart = i
            while i < chars.count && chars[i].isASCII && chars[i].isNumber { i += 1 }
            if i == digitsStart { i = start; return nil }
            // More than 10 digits is out of bounds anyway; the caller reports it.
            let digits = String(chars[digitsStart..<i])
            let magnitude = digits.count > 10 ? Int.max / 4 : Int(digits)!
            return chars[start] == "-" ? -magnitude : magnitude
        }
    }

    private static func binarySearch(_ a: [Int], _ x: Int) -> Bool {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == x
    }
}

extension String {
    /// The string without leading and trailing whitespace (no Foundation needed).
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
