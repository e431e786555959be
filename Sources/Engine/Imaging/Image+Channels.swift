/// Channel-layout conversions: dropping, extracting and attaching alpha, gray ↔ RGB.
extension Image {
    /// The image without its alpha channel (gray+alpha → gray, RGBA → RGB); unchanged when it has none.
    public func droppingAlpha() -> Image {
        guard hasAlpha else { return self }
        return selectingChannels(Array(0..<colorChannels))
    }

    /// The alpha channel as a one-channel image, or nil when the image has no alpha.
    public func alphaChannel() -> Image? {
        guard hasAlpha else { return nil }
        return selectingChannels([channels - 1])
    }

    /// The colour channels of this image with `alpha` (a one-channel image of the same size) attached as
    /// alpha, replacing any existing alpha. Returns nil when `alpha` is not one channel of the same size.
    public func attachingAlpha(_ alpha: Image) -> Image? {
        guard alpha.channels == 1, alpha.width == width, alpha.height == height else { return nil }
        let color = droppingAlpha()
        let outChannels = color.channels + 1
        var out = [Float](repeating: 0, count: pixelCount * outChannels)
        for p in 0..<pixelCount {
            for c in 0..<color.channels { out[p * outChannels + c] = color.pixels[p * color.channels + c] }
            out[p * outChannels + color.channels] = alpha.pixels[p]
        }
        return Image(width: width, height: height, channels: outChannels, pixels: out, bitDepth: bitDepth)
    }

    /// The image as RGB (3 channels): gray is replicated into R, G and B; alpha is dropped.
    public func toRGB() -> Image {
        switch channels {
        case 3: return self
        case 4: return droppingAlpha()
        default: return selectingChannels([0, 0, 0])
        }
    }

    /// The image as RGBA (4 channels): gray is replicated; a missing alpha becomes 1 (opaque).
    public func toRGBA() -> Image {
        switch channels {
        case 4: return self
        case 2: return selectingChannels([0, 0, 0, 1])
        default:
            let rgb = toRGB()
            return rgb.attachingAlpha(Image(width: width, height: height, channels: 1, repeating: 1))!
        }
    }

    /// A new image whose channel `k` is this image's channel `sources[k]`.
    func selectingChannels(_ sources: [Int]) -> Image {
        let n = sources.count
        var out = [Float](repeating: 0, count: pixelCount * n)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<pixelCount {
                    for (k, c) in sources.enumerated() { dst[p * n + k] = src[p * channels + c] }
                }
            }
        }
        return Image(width: width, height: height, channels: n, pixels: out, bitDepth: bitDepth)
    }
}
