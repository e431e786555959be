/// Named soft masks of one frame, each one value in [0, 1] per pixel (row-major), all of the frame's size.
/// Built from a segmentation, a matte or an ID map; `RegionPlan` turns them into stylization regions.
public struct RegionMasks: Sendable {
    public let width: Int
    public let height: Int
    /// Masks by region name, in the order the source lists them.
    public private(set) var names: [String]
    public private(set) var masks: [String: [Float]]

    public init(width: Int, height: Int, named: [(String, [Float])]) {
        precondition(named.allSatisfy { $0.1.count == width * height }, "RegionMasks: mask size mismatch")
        self.width = width
        self.height = height
        self.names = named.map(\.0)
        self.masks = Dictionary(named, uniquingKeysWith: { first, _ in first })
    }

    /// Most ID-map colours accepted.
    public static let maxIDColors = 64

    /// DeepLab (21 VOC classes) or selfie (2 classes) probabilities, CRF-refined or not: one region per
    /// class name, plus `foreground` (every class but background) — soft, so boundaries stay soft.
    public init(segmentation result: SegmentationResult, classNames: [String]) {
        precondition(classNames.count == result.classCount, "RegionMasks: one name per class")
        var named: [(String, [Float])] = []
        for (c, name) in classNames.enumerated() { named.append((name, result.probabilities[c])) }
        named.append(("foreground", result.foregroundMatte(classes: Set(1..<result.classCount))))
        self.init(width: result.width, height: result.height, named: named)
    }

    /// A matte: its alpha channel when it has one, else its gray level (RGB is converted with Rec. 601
    /// luma). Regions `foreground` (the matte) and `background` (1 − matte). The matte must have the
    /// content's size (`width`×`height`): a matte for another resolution is a pipeline mistake.
    public init(matte image: Image, source: String, width: Int, height: Int) throws {
        guard image.width == width, image.height == height else {
            throw RegionError.maskSizeMismatch(source: source, width: image.width, height: image.height,
                                               expectedWidth: width, expectedHeight: height)
        }
        var values: [Float]
        if let alpha = image.alphaChannel() {
            values = alpha.pixels
        } else if image.channels == 1 {
            values = image.pixels
        } else {
            values = [Float](repeating: 0, count: image.pixelCount)
            for p in 0..<image.pixelCount {
                let base = p * image.channels
                values[p] = 0.299 * image.pixels[base] + 0.587 * image.pixels[base + 1] + 0.114 * image.pixels[base + 2]
            }
        }
        for i in values.indices { values[i] = min(1, max(0, values[i])) }
        self.init(width: width, height: height, named: [("foreground", values), ("background", values.map { 1 - $0 })])
    }

    /// An ID map: one hard region per distinct 8-bit colour, named `#rrggbb` (gray maps: `#vvvvvv`).
    /// Alpha is ignored. At most `maxIDColors` colours.
    public init(idMap image: Image, source: String, width: Int, height: Int) throws {
        guard image.width == width, image.height == height else {
            throw RegionError.maskSizeMismatch(source: source, width: image.width, height: image.height,
                                               expectedWidth: width, expectedHeight: height)
        }
        let rgb = image.toRGB()
        var keys = [UInt32](repeating: 0, count: rgb.pixelCount)
        var order: [UInt32] = []
        var seen = Set<UInt32>()
        for p in 0..<rgb.pixelCount {
            var key: UInt32 = 0
            for c in 0..<3 {
                let v = UInt32(min(255, max(0, (rgb.pixels[p * 3 + c] * 255).rounded())))
                key = key << 8 | v
            }
            keys[p] = key
            if seen.insert(key).inserted {
                order.append(key)
                if order.count > Self.maxIDColors {
                    throw RegionError.tooManyIDColors(found: order.count, limit: Self.maxIDColors)
                }
            }
        }
        let named = order.map { key -> (String, [Float]) in
            (Self.colorName(key), keys.map { $0 == key ? 1 : 0 })
        }
        self.init(width: width, height: height, named: named)
    }

    /// `#rrggbb` of a packed 24-bit colour.
    static func colorName(_ key: UInt32) -> String {
        let hex = String(key, radix: 16)
        return "#" + String(repeating: "0", count: 6 - hex.count) + hex
    }

    /// The mask of `name` (case-insensitive; ID-map colours with or without `#`), or nil.
    public func mask(named name: String) -> [Float]? {
        masks[canonicalName(name) ?? name]
    }

    /// The name under which `name` is stored, or nil if this frame has no such region.
    public func canonicalName(_ name: String) -> String? {
        let lowered = name.lowercased()
        if masks[lowered] != nil { return lowered }
        if masks["#" + lowered] != nil { return "#" + lowered }
        return nil
    }

    /// These masks at another resolution (bilinear; soft values stay in [0, 1]).
    public func resized(width newWidth: Int, height newHeight: Int) throws -> RegionMasks {
        if newWidth == width && newHeight == height { return self }
        let named = try names.map { name -> (String, [Float]) in
            (name, try Self.resample(masks[name]!, width: width, height: height, toWidth: newWidth, height: newHeight))
        }
        return RegionMasks(width: newWidth, height: newHeight, named: named)
    }

    /// One soft mask (or certainty map) of `width`×`height` values resampled to `newWidth`×`newHeight` with
    /// the engine's image resampler, values clamped to [0, 1]. Every mask the engine rescales goes through here.
    public static func resample(_ mask: [Float], width: Int, height: Int, toWidth newWidth: Int, height newHeight: Int) throws -> [Float] {
        let image = Image(width: width, height: height, channels: 1, pixels: mask)
        return try image.resized(width: newWidth, height: newHeight).pixels.map { min(1, max(0, $0)) }
    }
}

extension RegionMasks {
    /// The masks of the `rect` part of the frame (a tile's padded rectangle; it must lie inside).
    public func cropped(to rect: PixelRect) throws -> RegionMasks {
        guard rect.x >= 0, rect.y >= 0, rect.width > 0, rect.height > 0,
              rect.x + rect.width <= width, rect.y + rect.height <= height else {
            throw ImagingError.outOfBounds("crop \(rect.width)x\(rect.height) at (\(rect.x), \(rect.y)) does not fit \(width)x\(height) masks")
        }
        let named = names.map { name -> (String, [Float]) in
            let mask = masks[name]!
            var out = [Float](repeating: 0, count: rect.width * rect.height)
            for r in 0..<rect.height {
                let from = (rect.y + r) * width + rect.x
                out.replaceSubrange(r * rect.width ..< (r + 1) * rect.width, with: mask[from ..< from + rect.width])
            }
            return (name, out)
        }
        return RegionMasks(width: rect.width, height: rect.height, named: named)
    }
}
