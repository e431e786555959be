import Foundation

/// Why a region stylization request cannot run; every message names the region or file and what to fix.
public enum RegionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A matte or ID map does not have the content image's size.
    case maskSizeMismatch(source: String, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int)
    /// A `--region` names something the mask source does not provide.
    case unknownRegion(String, known: [String])
    /// The same region is assigned twice.
    case duplicateRegion(String)
    /// `--segment`/`--region` text that cannot be parsed.
    case invalidSpecification(String)
    /// An ID map with more distinct colours than any region layout would use (probably not an ID map).
    case tooManyIDColors(found: Int, limit: Int)
    /// Part of the frame belongs to no `--region` and there is no default style for it.
    case uncoveredPixels(share: Float)
    /// No region has any mass in the frame.
    case noRegions

    public var description: String {
        switch self {
        case .maskSizeMismatch(let source, let w, let h, let ew, let eh):
            return "\(source) is \(w)x\(h) but the content image is \(ew)x\(eh); a matte or ID map must have the content's size"
        case .unknownRegion(let name, let known):
            return "unknown region '\(name)'; this mask source provides: \(known.joined(separator: ", "))"
        case .duplicateRegion(let name):
            return "region '\(name)' is assigned more than once; give one --region per name"
        case .invalidSpecification(let message):
            return message
        case .tooManyIDColors(let found, let limit):
            return "the ID map has \(found) distinct colours (at most \(limit)); an ID map paints each region in one flat colour (no antialiasing or gradients)"
        case .uncoveredPixels(let share):
            return String(format: "%.1f%% of the frame belongs to no --region and there is no --style for it; give --style or --region background=STYLE|none", 100 * share)
        case .noRegions:
            return "no region has any pixels in this frame"
        }
    }
}
