/// Errors of the temporal-consistency code (flow, warping, certainty, .flo files). Each says what to fix.
public enum TemporalError: Error, Equatable, CustomStringConvertible {
    /// Two inputs that must have the same size do not (`what` names them; sizes as width, height).
    case sizeMismatch(what: String, Int, Int, Int, Int)
    /// An image or flow with no pixels.
    case empty(what: String)
    /// A frame too large for the flow code (more than `limit` pixels).
    case tooLarge(what: String, pixels: Int, limit: Int)
    /// OpenCV's DIS failed (its message), or ran out of memory.
    case opticalFlowFailed(String)

    public var description: String {
        switch self {
        case let .sizeMismatch(what, w1, h1, w2, h2):
            return "\(what) differ in size (\(w1)×\(h1) vs \(w2)×\(h2)); resize them to one size first"
        case let .empty(what):
            return "\(what) has no pixels"
        case let .tooLarge(what, pixels, limit):
            return "\(what) has \(pixels) pixels, more than the \(limit) the flow code accepts; scale it down first"
        case let .opticalFlowFailed(message):
            return "optical flow (OpenCV DIS) failed: \(message)"
        }
    }
}
