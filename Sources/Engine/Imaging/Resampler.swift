/// Resampling of interleaved float images (any number of channels), separable per axis.
///
/// Along an axis that shrinks, each output sample is the exact area average of the source samples its
/// footprint covers (a box filter with fractional coverage at the edges), which antialiases properly for
/// any ratio. Along an axis that grows, samples are interpolated linearly between the two nearest source
/// samples, with pixel centres at half-integers (`src = (dst + 0.5) * in / out - 0.5`, clamped to the
/// edge). An axis whose size does not change is copied unchanged. Both filters are convex combinations,
/// so outputs stay within the range of the inputs.
public enum Resampler {
    /// `pixels` (`width * height * channels`, interleaved row-major) resampled to `newWidth × newHeight`.
    /// Alpha is not treated specially here; see `Image.resized(width:height:)` for that.
    public static func resample(_ pixels: [Float], width: Int, height: Int, channels: Int,
                                toWidth newWidth: Int, toHeight newHeight: Int) throws -> [Float] {
        guard width > 0, height > 0 else { throw ImagingError.invalidSize(width: width, height: height) }
        guard newWidth > 0, newHeight > 0 else { throw ImagingError.invalidSize(width: newWidth, height: newHeight) }
        guard channels > 0, pixels.count == width * height * channels else {
            throw ImagingError.invalidLayout("\(pixels.count) samples for \(width)x\(height)x\(channels)")
        }
        if newWidth == width && newHeight == height { return pixels }

        // Horizontal pass: height rows of width → newWidth.
        let xs = AxisWeights(from: width, to: newWidth)
        var horizontal = [Float](repeating: 0, count: height * newWidth * channels)
        pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let srcRow = y * width * channels, dstRow = y * newWidth * channels
                    for x in 0..<newWidth {
                        let range = xs.range(x)
                        for c in 0..<channels {
                            var sum: Float = 0
                            for k in range { sum += src[srcRow + xs.sources[k] * channels + c] * xs.weights[k] }
                            dst[dstRow + x * channels + c] = sum
                        }
                    }
                }
            }
        }
        // Vertical pass: rows height → newHeight, whole rows at a time.
        let ys = AxisWeights(from: height, to: newHeight)
        let rowLength = newWidth * channels
        var output = [Float](repeating: 0, count: newHeight * rowLength)
        horizontal.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for y in 0..<newHeight {
                    let dstRow = y * rowLength
                    for k in ys.range(y) {
                        let srcRow = ys.sources[k] * rowLength, w = ys.weights[k]
                        for i in 0..<rowLength { dst[dstRow + i] += src[srcRow + i] * w }
                    }
                }
            }
        }
        return output
    }
}

/// For each output index along one axis, the source indices and weights that make it.
struct AxisWeights {
    /// Contributions of output i are entries `starts[i] ..< starts[i + 1]`.
    var starts: [Int] = [0]
    var sources: [Int] = []
    var weights: [Float] = []

    func range(_ i: Int) -> Range<Int> { starts[i]..<starts[i + 1] }

    init(from inSize: Int, to outSize: Int) {
        if outSize == inSize {
            for i in 0..<outSize { add([(i, 1)]) }
        } else if outSize < inSize {
            // Area average: output i covers source interval [i * scale, (i + 1) * scale).
            let scale = Double(inSize) / Double(outSize)
            for i in 0..<outSize {
                let lo = Double(i) * scale, hi = min(Double(i + 1) * scale, Double(inSize))
                var terms: [(Int, Double)] = []
                var j = Int(lo.rounded(.down))
                while Double(j) < hi && j < inSize {
                    let overlap = min(hi, Double(j + 1)) - max(lo, Double(j))
                    if overlap > 1e-12 { terms.append((j, overlap)) }
                    j += 1
                }
                let total = terms.reduce(0) { $0 + $1.1 }
                add(terms.map { ($0.0, $0.1 / total) })
            }
        } else {
            // Linear interpolation with half-pixel centres, clamped at the edges.
            let scale = Double(inSize) / Double(outSize)
            for i in 0..<outSize {
                let position = min(max((Double(i) + 0.5) * scale - 0.5, 0), Double(inSize - 1))
                let j0 = Int(position.rounded(.down)), j1 = min(j0 + 1, inSize - 1)
                let t = position - Double(j0)
                add(t == 0 || j0 == j1 ? [(j0, 1)] : [(j0, 1 - t), (j1, t)])
            }
        }
    }

    private mutating func add(_ terms: [(Int, Double)]) {
        for (source, weight) in terms {
            sources.append(source)
            weights.append(Float(weight))
        }
        starts.append(sources.count)
    }
}
