/// How visible tile seams are in an assembled frame (issue 7's "seam ratio"), and how far a tiled
/// render is from an untiled one.
///
/// **Seam ratio.** A seam is a discontinuity *across* a tile boundary. For a vertical boundary at
/// column b (between columns b − 1 and b) the energy of a row is Σ_c (I(b, y, c) − I(b − 1, y, c))² over
/// the colour channels; for a horizontal boundary at row b likewise with rows b − 1 and b. With
///
///     E_seam     = mean of those squared differences over every boundary line and every pixel along it,
///     E_interior = mean of the same squared neighbour differences (horizontal and vertical) at every
///                  other column / row pair of the frame,
///
/// the ratio E_seam / E_interior is ≈ 1 when the boundaries are as smooth as the rest of the image and
/// grows with a visible step along them. Compare a tiled render's ratio with the untiled render's on the
/// same lines: a render has its own texture, so the untiled ratio is the baseline, not 1. A flat image
/// (both energies 0) has ratio 1; a step on a flat image, +∞.
public enum SeamMeasure {
    /// Energies, sample counts and their ratio.
    public struct Result: Sendable, Equatable, CustomStringConvertible {
        /// Mean squared difference across the boundary lines.
        public let seamEnergy: Double
        /// Mean squared neighbour difference everywhere else.
        public let interiorEnergy: Double
        /// Squared differences averaged into each energy (pixel pairs × colour channels).
        public let seamSamples: Int
        public let interiorSamples: Int

        /// E_seam / E_interior (1 when both are 0, +∞ when only the interior is 0).
        public var ratio: Double {
            if interiorEnergy > 0 { return seamEnergy / interiorEnergy }
            return seamEnergy > 0 ? .infinity : 1
        }

        public var description: String {
            "seam_ratio=\(ratio) seam_energy=\(seamEnergy) interior_energy=\(interiorEnergy)"
        }
    }

    /// The seam ratio of `image` along vertical boundaries at `columns` and horizontal ones at `rows`
    /// (each boundary b: the line between pixel b − 1 and pixel b; 0 < b < width or height). Colour
    /// channels only (alpha is left out). Throws `ImagingError` for an empty image, a boundary outside
    /// it, or no boundary at all.
    public static func seamRatio(_ image: Image, columns: [Int], rows: [Int]) throws -> Result {
        let w = image.width, h = image.height, ch = image.channels, cc = image.colorChannels
        guard w >= 1, h >= 1 else { throw ImagingError.invalidSize(width: w, height: h) }
        guard !columns.isEmpty || !rows.isEmpty else {
            throw ImagingError.invalidLayout("no tile boundary to measure: a single-tile frame has no seams")
        }
        for b in columns where !(1 ..< w).contains(b) {
            throw ImagingError.outOfBounds("vertical boundary at column \(b) is not inside a \(w)x\(h) image (1...\(w - 1))")
        }
        for b in rows where !(1 ..< h).contains(b) {
            throw ImagingError.outOfBounds("horizontal boundary at row \(b) is not inside a \(w)x\(h) image (1...\(h - 1))")
        }
        var isColumnBoundary = [Bool](repeating: false, count: w)
        for b in columns { isColumnBoundary[b] = true }
        var isRowBoundary = [Bool](repeating: false, count: h)
        for b in rows { isRowBoundary[b] = true }

        var seam = 0.0, interior = 0.0
        var seamCount = 0, interiorCount = 0
        image.pixels.withUnsafeBufferPointer { p in
            for y in 0 ..< h {
                let row = y * w * ch
                // Horizontal neighbours (x − 1, x) in this row.
                for x in 1 ..< max(1, w) {
                    var e = 0.0
                    for c in 0 ..< cc {
                        let d = Double(p[row + x * ch + c]) - Double(p[row + (x - 1) * ch + c])
                        e += d * d
                    }
                    if isColumnBoundary[x] { seam += e; seamCount += cc } else { interior += e; interiorCount += cc }
                }
                // Vertical neighbours (y − 1, y).
                guard y > 0 else { continue }
                let above = (y - 1) * w * ch
                var e = 0.0
                for i in 0 ..< w {
                    for c in 0 ..< cc {
                        let d = Double(p[row + i * ch + c]) - Double(p[above + i * ch + c])
                        e += d * d
                    }
                }
                if isRowBoundary[y] { seam += e; seamCount += w * cc } else { interior += e; interiorCount += w * cc }
            }
        }
        return Result(seamEnergy: seamCount > 0 ? seam / Double(seamCount) : 0,
                      interiorEnergy: interiorCount > 0 ? interior / Double(interiorCount) : 0,
                      seamSamples: seamCount, interiorSamples: interiorCount)
    }

    /// The seam ratio along the core boundaries of `layout` (every core edge inside the frame).
    public static func seamRatio(_ image: Image, layout: TileLayout) throws -> Result {
        guard image.width == layout.width, image.height == layout.height else {
            throw ImagingError.sizeMismatch(expected: "\(layout.width)x\(layout.height)", actual: "\(image.width)x\(image.height)")
        }
        let columns = Set(layout.tiles.map(\.core.x)).filter { $0 > 0 }.sorted()
        let rows = Set(layout.tiles.map(\.core.y)).filter { $0 > 0 }.sorted()
        return try seamRatio(image, columns: columns, rows: rows)
    }

    /// Mean of |a − b| over every sample (all channels), e.g. a tiled render against an untiled one.
    /// The images must have the same size and channel count.
    public static func meanAbsoluteDifference(_ a: Image, _ b: Image) throws -> Double {
        guard a.width == b.width, a.height == b.height, a.channels == b.channels else {
            throw ImagingError.sizeMismatch(expected: "\(a.width)x\(a.height)x\(a.channels)",
                                            actual: "\(b.width)x\(b.height)x\(b.channels)")
        }
        guard !a.pixels.isEmpty else { throw ImagingError.invalidSize(width: a.width, height: a.height) }
        var sum = 0.0
        a.pixels.withUnsafeBufferPointer { p in
            b.pixels.withUnsafeBufferPointer { q in
                for i in 0 ..< p.count { sum += abs(Double(p[i]) - Double(q[i])) }
            }
        }
        return sum / Double(a.pixels.count)
    }
}
