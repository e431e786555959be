/// TFLite's RESIZE_BILINEAR sampling positions along one axis: for each output index, the two input
/// indices and the weight of the second.
///
/// `scale = (in − 1) / (out − 1)` with align_corners (and out > 1), else `in / out`; the source
/// coordinate is `(o + ½) · scale − ½` with half_pixel_centers, else `o · scale`; the lower index is
/// clamped at 0 and the upper at `in − 1`, and the weight is the coordinate minus the lower index (so a
/// coordinate below 0 repeats the edge pixel).
struct BilinearAxis: Sendable {
    let lower: [Int]
    let upper: [Int]
    let weight: [Float]

    init(inSize: Int, outSize: Int, alignCorners: Bool, halfPixelCenters: Bool) {
        let scale: Float = (alignCorners && outSize > 1) ? Float(inSize - 1) / Float(outSize - 1)
                                                         : Float(inSize) / Float(outSize)
        var lower = [Int](), upper = [Int](), weight = [Float]()
        lower.reserveCapacity(outSize); upper.reserveCapacity(outSize); weight.reserveCapacity(outSize)
        for o in 0..<outSize {
            let source = halfPixelCenters ? (Float(o) + 0.5) * scale - 0.5 : Float(o) * scale
            let l = min(max(Int(source.rounded(.down)), 0), inSize - 1)
            let u = min(Int(source.rounded(.up)), inSize - 1)
            lower.append(l)
            upper.append(max(l, u))
            weight.append(source - Float(l))
        }
        self.lower = lower
        self.upper = upper
        self.weight = weight
    }
}

/// RESIZE_BILINEAR in NHWC (TFLite semantics, see `BilinearAxis`), channel vectors interpolated whole.
struct ResizeBilinearOperator: InterpreterOperator {
    let inputs: [Int]
    let output: Int
    let outputShape: [Int]
    let batch: Int
    let inHeight: Int, inWidth: Int, channels: Int
    let rows: BilinearAxis
    let columns: BilinearAxis
    let transform: OutputTransform

    func execute(_ inputs: [NHWCTensor], into output: inout NHWCTensor) {
        let c = channels, outH = rows.lower.count, outW = columns.lower.count, t = transform
        let inStride = inHeight * inWidth * c, outStride = outH * outW * c
        inputs[0].data.withUnsafeBufferPointer { xb in
            output.data.withUnsafeMutableBufferPointer { yb in
                rows.lower.withUnsafeBufferPointer { rl in
                rows.upper.withUnsafeBufferPointer { ru in
                rows.weight.withUnsafeBufferPointer { rw in
                columns.lower.withUnsafeBufferPointer { cl in
                columns.upper.withUnsafeBufferPointer { cu in
                columns.weight.withUnsafeBufferPointer { cw in
                    for n in 0..<batch {
                        let x = xb.baseAddress! + n * inStride, y = yb.baseAddress! + n * outStride
                        ParallelLoop.forEachChunk(count: outH) { range in
                            for oy in range {
                                let r0 = x + rl[oy] * inWidth * c, r1 = x + ru[oy] * inWidth * c
                                let fy = rw[oy]
                                for ox in 0..<outW {
                                    let a = r0 + cl[ox] * c, b = r0 + cu[ox] * c
                                    let d = r1 + cl[ox] * c, e = r1 + cu[ox] * c
                                    let fx = cw[ox]
                                    let out = y + (oy * outW + ox) * c
                                    for ch in 0..<c {
                                        let top = a[ch] + (b[ch] - a[ch]) * fx
                                        let bottom = d[ch] + (e[ch] - d[ch]) * fx
                                        out[ch] = top + (bottom - top) * fy
                                    }
                                    t.apply(out, count: c)
                                }
                            }
                        }
                    }
                }}}}}}
            }
        }
    }
}
