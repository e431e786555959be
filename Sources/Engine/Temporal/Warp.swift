/// The backward warp ω of Ruder, Dosovitskiy & Brox ("Artistic style transfer for videos", GCPR 2016,
/// section 3): given the flow ŵ from frame t to frame t−1 (on frame t's grid), the previous frame is
/// brought into frame t by sampling it at p + ŵ(p), bilinearly:
///
///   ω(x_{t−1})(p) = x_{t−1}(p + ŵ(p)).
///
/// A sample position outside [0, W−1]×[0, H−1], or an unknown flow value, is flagged (`inside[p] ==
/// false`); its value is taken at the position clamped into the frame (edge replication), so the result
/// is usable as an initialization, but a loss must not trust it (the certainty is 0 there).
public enum Warp {
    /// Warps an image (interleaved channels, alpha warped like colour). Throws when sizes differ.
    public static func backward(_ image: Image, flow: FlowField) throws -> (image: Image, inside: [Bool]) {
        try checkSize(image.width, image.height, flow)
        var out = [Float](repeating: 0, count: image.pixels.count)
        var inside = [Bool](repeating: false, count: image.pixelCount)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                inside.withUnsafeMutableBufferPointer { ib in
                    sample(src.baseAddress!, dst.baseAddress!, width: image.width, height: image.height,
                           channels: image.channels, channelStride: 1, pixelStride: image.channels,
                           flow: flow, inside: ib.baseAddress!)
                }
            }
        }
        var result = Image(width: image.width, height: image.height, channels: image.channels, pixels: out)
        result.bitDepth = image.bitDepth
        return (result, inside)
    }

    /// Warps a CHW tensor plane by plane (the engine's VGG tensors; the temporal loss's target).
    public static func backward(_ tensor: Tensor, flow: FlowField) throws -> (tensor: Tensor, inside: [Bool]) {
        try checkSize(tensor.width, tensor.height, flow)
        var out = [Float](repeating: 0, count: tensor.count)
        var inside = [Bool](repeating: false, count: tensor.planeSize)
        tensor.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                inside.withUnsafeMutableBufferPointer { ib in
                    sample(src.baseAddress!, dst.baseAddress!, width: tensor.width, height: tensor.height,
                           channels: tensor.channels, channelStride: tensor.planeSize, pixelStride: 1,
                           flow: flow, inside: ib.baseAddress!)
                }
            }
        }
        return (Tensor(channels: tensor.channels, height: tensor.height, width: tensor.width, data: out), inside)
    }

    private static func checkSize(_ width: Int, _ height: Int, _ flow: FlowField) throws {
        guard width == flow.width && height == flow.height else {
            throw TemporalError.sizeMismatch(what: "the image and the flow", width, height, flow.width, flow.height)
        }
        guard width > 0 && height > 0 else { throw TemporalError.empty(what: "the image to warp") }
    }

    /// Bilinear sampling of `src` at p + flow(p) for every pixel p; sample c of pixel i is at
    /// `i * pixelStride + c * channelStride` in both buffers.
    private static func sample(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                               width w: Int, height h: Int, channels: Int, channelStride cs: Int, pixelStride ps: Int,
                               flow: FlowField, inside: UnsafeMutablePointer<Bool>) {
        let maxX = Float(w - 1), maxY = Float(h - 1)
        flow.u.withUnsafeBufferPointer { ub in
            flow.v.withUnsafeBufferPointer { vb in
                for y in 0..<h {
                    for x in 0..<w {
                        let i = y * w + x
                        let du = ub[i], dv = vb[i]
                        let known = abs(du) <= FlowField.unknownThreshold && abs(dv) <= FlowField.unknownThreshold
                        var sx = Float(x) + (known ? du : 0), sy = Float(y) + (known ? dv : 0)
                        inside[i] = known && sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY
                        sx = min(max(sx, 0), maxX)
                        sy = min(max(sy, 0), maxY)
                        let x0 = Int(sx), y0 = Int(sy)
                        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                        let ax = sx - Float(x0), ay = sy - Float(y0)
                        let p00 = (y0 * w + x0) * ps, p01 = (y0 * w + x1) * ps
                        let p10 = (y1 * w + x0) * ps, p11 = (y1 * w + x1) * ps
                        for c in 0..<channels {
                            let o = c * cs
                            let top = src[p00 + o] + (src[p01 + o] - src[p00 + o]) * ax
                            let bottom = src[p10 + o] + (src[p11 + o] - src[p10 + o]) * ax
                            dst[i * ps + o] = top + (bottom - top) * ay
                        }
                    }
                }
            }
        }
    }

    /// ŵ sampled bilinearly at arbitrary positions (the forward flow warped to the second frame, w̃ of
    /// the certainty): returns (u, v) at (sx, sy), clamped into the frame.
    static func sampleFlow(_ flow: FlowField, _ sx: Float, _ sy: Float) -> (Float, Float) {
        let w = flow.width, h = flow.height
        let cx = min(max(sx, 0), Float(w - 1)), cy = min(max(sy, 0), Float(h - 1))
        let x0 = Int(cx), y0 = Int(cy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let ax = cx - Float(x0), ay = cy - Float(y0)
        func lerp(_ a: [Float]) -> Float {
            let top = a[y0 * w + x0] + (a[y0 * w + x1] - a[y0 * w + x0]) * ax
            let bottom = a[y1 * w + x0] + (a[y1 * w + x1] - a[y1 * w + x0]) * ax
            return top + (bottom - top) * ay
        }
        return (lerp(flow.u), lerp(flow.v))
    }
}
