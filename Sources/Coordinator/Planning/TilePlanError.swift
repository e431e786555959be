import JobModel

/// Why a frame could not be split into tiles. Each case says which setting to change and to what.
public enum TilePlanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The frame has no pixels.
    case invalidFrameSize(PixelSize)
    /// The alignment is not positive.
    case invalidAlignment(Int)
    /// The halo is negative.
    case negativeHalo(Int)
    /// The halo is not a multiple of the alignment, so padded tiles would start off the pooling grid.
    case haloNotAligned(halo: Int, alignment: Int)
    /// A core size that is not positive, or not a multiple of the alignment.
    case coreNotAligned(PixelSize, alignment: Int)
    /// A tile side that cannot hold a core of one alignment unit between two halos.
    case tileTooSmall(side: Int, halo: Int, minimum: Int)
    /// A pixel budget under which no tiling of this frame fits; `minimum` is the smallest that does.
    case tilePixelsTooSmall(maxTilePixels: Int, halo: Int, minimum: Int)

    public var description: String {
        switch self {
        case .invalidFrameSize(let s):
            return "frame size \(s) is not positive; read it from the first content frame"
        case .invalidAlignment(let a):
            return "tile alignment \(a) must be at least 1 (16 for VGG: the total stride of its 4 pooling layers)"
        case .negativeHalo(let h):
            return "tile halo \(h) is negative; use the network's receptive-field margin rounded up to the alignment (TilePlan.halo(forMargin:))"
        case .haloNotAligned(let h, let a):
            let up = (h + a - 1) / a * a
            return "tile halo \(h) is not a multiple of the alignment \(a), so padded tiles would start off the pooling grid; use \(up)"
        case .coreNotAligned(let s, let a):
            let w = max(a, s.width / a * a), h = max(a, s.height / a * a)
            return "tile core \(s) must be positive multiples of the alignment \(a) on both sides; use \(w)x\(h)"
        case .tileTooSmall(let side, let halo, let minimum):
            return "tile size \(side) cannot hold a core between two halos of \(halo) px; use a tile size of at least \(minimum) (2 × halo + alignment)"
        case .tilePixelsTooSmall(let pixels, let halo, let minimum):
            return "no tiling with halos of \(halo) px fits tiles of \(pixels) pixels; this frame needs a max tile pixel count of at least \(minimum)"
        }
    }
}
