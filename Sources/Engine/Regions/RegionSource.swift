/// Where a frame's region masks come from: `--segment deeplab|deeplab-small|selfie|matte:PATH|ids:PATH`.
public enum RegionSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// DeepLab v3 (PASCAL VOC) soft class probabilities, CRF-refined; regions are VOC class names,
    /// `foreground` (every object class) and `background`.
    case deeplab
    /// The half-width DeepLab model, same regions.
    case deeplabSmall
    /// MediaPipe selfie segmentation: regions `person` (also `foreground`) and `background`.
    case selfie
    /// A user matte (its alpha channel, else its gray level): regions `foreground` and `background`.
    case matte(path: String)
    /// An ID map, one flat colour per region: regions named by colour, `#rrggbb`, and `background` (the rest).
    case ids(path: String)

    /// Parses the `--segment` value.
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        switch lowered {
        case "deeplab": self = .deeplab
        case "deeplab-small": self = .deeplabSmall
        case "selfie": self = .selfie
        default:
            if lowered.hasPrefix("matte:"), text.count > 6 { self = .matte(path: String(text.dropFirst(6))); return }
            if lowered.hasPrefix("ids:"), text.count > 4 { self = .ids(path: String(text.dropFirst(4))); return }
            throw RegionError.invalidSpecification(
                "--segment '\(text)': expected deeplab, deeplab-small, selfie, matte:PATH or ids:PATH")
        }
    }

    /// The `--segment` text of this source.
    public var description: String {
        switch self {
        case .deeplab: return "deeplab"
        case .deeplabSmall: return "deeplab-small"
        case .selfie: return "selfie"
        case .matte(let path): return "matte:\(path)"
        case .ids(let path): return "ids:\(path)"
        }
    }

    /// Whether the masks come from a segmentation network (which needs `models install --segmentation`).
    public var usesNetwork: Bool {
        switch self {
        case .deeplab, .deeplabSmall, .selfie: return true
        case .matte, .ids: return false
        }
    }
}
