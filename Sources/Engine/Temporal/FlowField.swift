/// A dense optical-flow field: pixel (x, y) of the source frame corresponds to (x + u, y + v) in the
/// target frame, in pixels. Planar, row-major: `u[y * width + x]`, `v[y * width + x]`.
///
/// Values with |u| or |v| above `unknownThreshold` mean "unknown" (the Middlebury convention, 1e9; NaN
/// counts as unknown too); `isKnown(_:)` tells them apart.
public struct FlowField: Sendable, Equatable {
    /// Middlebury: a component larger than this in magnitude marks an unknown flow value.
    public static let unknownThreshold: Float = 1e9

    public let width: Int
    public let height: Int
    /// Horizontal displacement per pixel (positive: to the right).
    public var u: [Float]
    /// Vertical displacement per pixel (positive: down).
    public var v: [Float]

    /// A field over existing components; both must have `width * height` values (programming error otherwise).
    public init(width: Int, height: Int, u: [Float], v: [Float]) {
        precondition(width >= 0 && height >= 0, "negative flow size")
        precondition(u.count == width * height && v.count == width * height, "flow components do not match the size")
        self.width = width
        self.height = height
        self.u = u
        self.v = v
    }

    /// A constant field (every pixel moves by (u, v)).
    public init(width: Int, height: Int, constant u: Float, _ v: Float) {
        self.init(width: width, height: height,
                  u: [Float](repeating: u, count: width * height), v: [Float](repeating: v, count: width * height))
    }

    @inlinable public var pixelCount: Int { width * height }

    /// Whether the flow of pixel `index` is known (finite and within `unknownThreshold`).
    @inlinable public func isKnown(_ index: Int) -> Bool {
        let a = u[index], b = v[index]
        return abs(a) <= Self.unknownThreshold && abs(b) <= Self.unknownThreshold
    }

    /// Average endpoint error ‖w − w_truth‖ (Baker et al., IJCV 2011) over the pixels where the truth is
    /// known and `mask` (if given, one Bool per pixel) is true. Returns the mean and how many pixels counted.
    public func averageEndpointError(against truth: FlowField, mask: [Bool]? = nil) throws -> (mean: Double, pixels: Int) {
        guard truth.width == width && truth.height == height else {
            throw TemporalError.sizeMismatch(what: "flow fields", width, height, truth.width, truth.height)
        }
        if let mask, mask.count != pixelCount {
            throw TemporalError.sizeMismatch(what: "flow and mask", width, height, mask.count, 1)
        }
        var sum = 0.0, count = 0
        for i in 0..<pixelCount where truth.isKnown(i) && isKnown(i) && (mask?[i] ?? true) {
            let du = Double(u[i] - truth.u[i]), dv = Double(v[i] - truth.v[i])
            sum += (du * du + dv * dv).squareRoot()
            count += 1
        }
        return (count == 0 ? 0 : sum / Double(count), count)
    }

    /// The field resampled to another size (bilinear, unknown values kept unknown at the nearest pixel),
    /// with the vectors scaled by the size ratio, so it describes the same motion at the new resolution.
    public func resampled(width newWidth: Int, height newHeight: Int) -> FlowField {
        if newWidth == width && newHeight == height { return self }
        let n = newWidth * newHeight
        var nu = [Float](repeating: 0, count: n), nv = [Float](repeating: 0, count: n)
        guard width > 0 && height > 0 else { return FlowField(width: newWidth, height: newHeight, u: nu, v: nv) }
        let sx = Float(width) / Float(newWidth), sy = Float(height) / Float(newHeight)
        let fu = Float(newWidth) / Float(width), fv = Float(newHeight) / Float(height)
        for y in 0..<newHeight {
            let yy = min(max((Float(y) + 0.5) * sy - 0.5, 0), Float(height - 1))
            let y0 = Int(yy), y1 = min(y0 + 1, height - 1), wy = yy - Float(y0)
            for x in 0..<newWidth {
                let xx = min(max((Float(x) + 0.5) * sx - 0.5, 0), Float(width - 1))
                let x0 = Int(xx), x1 = min(x0 + 1, width - 1), wx = xx - Float(x0)
                let o = y * newWidth + x
                let corners = [y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1]
                if !corners.allSatisfy(isKnown) {
                    let nearest = (wy < 0.5 ? y0 : y1) * width + (wx < 0.5 ? x0 : x1)
                    nu[o] = isKnown(nearest) ? u[nearest] * fu : .infinity
                    nv[o] = isKnown(nearest) ? v[nearest] * fv : .infinity
                    continue
                }
                func lerp(_ a: [Float]) -> Float {
                    let top = a[corners[0]] + (a[corners[1]] - a[corners[0]]) * wx
                    let bottom = a[corners[2]] + (a[corners[3]] - a[corners[2]]) * wx
                    return top + (bottom - top) * wy
                }
                nu[o] = lerp(u) * fu
                nv[o] = lerp(v) * fv
            }
        }
        return FlowField(width: newWidth, height: newHeight, u: nu, v: nv)
    }
}
