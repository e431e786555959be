/// Why a frame range string (`1-100`, `1-100x2`, `1,5,7-9`) was rejected. Every case names the
/// offending item and its 1-based character column in the input so the user can find it.
public enum FrameRangeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The whole string is empty or only whitespace.
    case empty
    /// An item between commas is empty (`1,,2`, a leading or trailing comma).
    case emptyItem(column: Int)
    /// An item is not `N`, `A-B` or `A-BxS`; `reason` says what was expected.
    case malformed(item: String, column: Int, reason: String)
    /// `A-B` with `A > B`. Descending ranges are not supported; write `B-A`.
    case descending(item: String, column: Int)
    /// The step of `A-BxS` is zero or negative.
    case nonPositiveStep(item: String, column: Int)
    /// A frame number is outside ±`FrameRange.frameNumberLimit`.
    case frameOutOfBounds(item: String, column: Int)
    /// The range holds more frames than allowed (checked before anything is allocated).
    case tooManyFrames(item: String, column: Int, limit: Int)

    public var description: String {
        switch self {
        case .empty:
            return "frame range is empty; write frames like 1-100, 1-100x2 or 1,5,7-9"
        case .emptyItem(let column):
            return "frame range has an empty item at column \(column); remove the extra comma"
        case .malformed(let item, let column, let reason):
            return "frame range item '\(item)' at column \(column): \(reason)"
        case .descending(let item, let column):
            return "frame range item '\(item)' at column \(column) is descending; write it ascending (start-end)"
        case .nonPositiveStep(let item, let column):
            return "frame range item '\(item)' at column \(column) has a step that is not positive; use a step of 1 or more (1-100x2)"
        case .frameOutOfBounds(let item, let column):
            return "frame range item '\(item)' at column \(column) has a frame number beyond ±\(FrameRange.frameNumberLimit)"
        case .tooManyFrames(let item, let column, let limit):
            return "frame range item '\(item)' at column \(column) brings the job above \(limit) frames; split the job or narrow the range"
        }
    }
}
