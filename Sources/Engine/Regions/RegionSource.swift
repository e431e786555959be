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
    /// The Cryptomatte of each OpenEXR content frame (`cryptomatte`, or `cryptomatte:LAYER` to choose one, e.g.
    /// `cryptomatte:CryptoMaterial`): regions are object or material names of its manifest, or globs over them
    /// (`RegionMasks.cryptomatte`), and `background`.
    case cryptomatte(layer: String?)

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
            if lowered == "cryptomatte" { self = .cryptomatte(layer: nil); return }
            if lowered.hasPrefix("cryptomatte:"), text.count > 12 { self = .cryptomatte(layer: String(text.dropFirst(12))); return }
            throw RegionError.invalidSpecification(
                "--segment '\(text)': expected deeplab, deeplab-small, selfie, matte:PATH, ids:PATH, cryptomatte or cryptomatte:LAYER")
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
        case .cryptomatte(let layer): return layer.map { "cryptomatte:\($0)" } ?? "cryptomatte"
        }
    }

    /// Whether the masks are exact for every frame (a renderer's Cryptomatte), so temporal strategies use them as they
    /// are instead of stabilizing them against the neighbours' (`RegionMasks.stabilized`).
    public var isExact: Bool {
        if case .cryptomatte = self { return true }
        return false
    }

    /// Whether the masks come from a segmentation network (which needs `models install --segmentation`).
    public var usesNetwork: Bool {
        switch self {
        case .deeplab, .deeplabSmall, .selfie: return true
        case .matte, .ids, .cryptomatte: return false
        }
    }
}
