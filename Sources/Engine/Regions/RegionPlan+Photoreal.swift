extension RegionPlan {
    /// Where the frame stays photoreal (`--region NAME=none`): the summed masks of the regions without a style set,
    /// clamped to 1; nil when there are none.
    public var photorealMask: [Float]? {
        let photoreal = regions.filter { $0.styleSet == nil }
        guard !photoreal.isEmpty else { return nil }
        var keep = [Float](repeating: 0, count: width * height)
        for region in photoreal {
            region.mask.withUnsafeBufferPointer { m in
                for i in keep.indices { keep[i] += m[i] }
            }
        }
        for i in keep.indices { keep[i] = min(1, keep[i]) }
        return keep
    }

    /// `stylized` with the photoreal regions given back their content: `keep · content + (1 − keep) · stylized`
    /// per pixel (``photorealMask``, soft at the edges). The optimization only pulls a photoreal region toward its
    /// content; this makes it the content itself — where the mask is 1 the plate's own values come back (an OpenEXR
    /// plate's, through the exact inverse of its working-space conversion). `content` is RGB at the plan's size.
    public func restoringPhotoreal(_ stylized: Image, content: Image) -> Image {
        guard let keep = photorealMask, stylized.width == width, stylized.height == height,
              content.width == width, content.height == height, content.channels == stylized.channels else { return stylized }
        var out = stylized.pixels
        let channels = stylized.channels
        content.pixels.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<(width * height) where keep[p] > 0 {
                    let k = keep[p]
                    for ch in 0..<channels {
                        let i = p * channels + ch
                        o[i] = k == 1 ? c[i] : k * c[i] + (1 - k) * o[i]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out, bitDepth: stylized.bitDepth)
    }
}
