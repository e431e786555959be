/// Why an imaging operation (resize, colour transfer, tensor conversion) refused its input.
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A requested or given size is not positive (e.g. `--size 0`, or resizing an empty image).
    case invalidSize(width: Int, height: Int)
    /// Two images that must have the same size do not.
    case sizeMismatch(expected: String, actual: String)
    /// A buffer or tensor does not have the layout the operation needs.
    case invalidLayout(String)
    /// A rectangle does not lie inside the image.
    case outOfBounds(String)

    public var description: String {
        switch self {
        case .invalidSize(let width, let height):
            return "invalid image size \(width)x\(height): width and height must be at least 1"
        case .sizeMismatch(let expected, let actual):
            return "image sizes differ: expected \(expected), got \(actual); resize one to match the other"
        case .invalidLayout(let detail):
            return "invalid image layout: \(detail)"
        case .outOfBounds(let detail):
            return "out of bounds: \(detail)"
        }
    }
}
