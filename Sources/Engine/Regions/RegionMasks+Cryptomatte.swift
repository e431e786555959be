/// Region masks from a Cryptomatte (Friedman & Jones, "Fully Automatic ID Mattes with Support for Motion Blur and
/// Transparency", SIGGRAPH 2015 posters; Psyop's Cryptomatte specification 1.2.0): the object or material IDs a
/// renderer wrote into an OpenEXR frame as (ID, coverage) rank pairs, named by the file's manifest.
extension RegionMasks {
    /// One soft region per entry of `names` — an object or material name, or a glob (`*`, `?`) over the manifest's
    /// names, matched without regard to case as `--region` names are — whose mask is the summed coverage of every
    /// ID it selects (`Cryptomatte.coverage`): anti-aliased and motion-blurred edges stay soft. The masks cover the
    /// display window (`OpenEXR.File.image`'s frame): 0 where the data window does not reach. `selector` is the
    /// `--segment` text, `cryptomatte` or `cryptomatte:LAYER`; `background` and `rest` are left to `RegionPlan`.
    /// A name or glob that selects nothing is a `CryptomatteError` listing the manifest's names.
    public static func cryptomatte(exr bytes: [UInt8], selector: String, names: [String], source: String,
                                   limits: ImageLimits = .default) throws -> RegionMasks {
        let attributes = try OpenEXR.stringAttributes(bytes: bytes, name: source)
        let channelNames = try OpenEXR.channelNames(bytes: bytes, name: source)
        let layer = try Cryptomatte.select(name: selector, attributes: attributes, channelNames: channelNames)
        let read = try OpenEXR.readChannels(bytes: bytes, names: layer.rankChannels, name: source, limits: limits)
        let data = read.dataWindow, display = read.displayWindow
        guard display.width > 0, display.height > 0, display.width * display.height <= limits.maxPixels else {
            throw ImageIOError.tooLarge(path: source, width: display.width, height: display.height, limit: limits.maxPixels)
        }
        let regionNames = names.filter { !["background", "rest"].contains($0.lowercased()) }
        var named: [(String, [Float])] = []
        for name in regionNames {
            let ids = try Self.cryptomatteIDs(matching: name, in: layer)
            let covered = read.pixels.withUnsafeBufferPointer {
                Cryptomatte.coverage(ids: ids, channels: $0, rankChannelCount: layer.rankChannelCount, pixelCount: data.width * data.height)
            }
            let mask = data == display ? covered
                : covered.withUnsafeBufferPointer { OpenEXR.placed($0, channels: 1, data: data, display: display) }
            named.append((name.lowercased(), mask))
        }
        return RegionMasks(width: display.width, height: display.height, named: named)
    }

    /// The IDs `pattern` selects in `layer`'s manifest, names compared without regard to case; an exact name the
    /// manifest lacks is hashed (the specification lets decoders find a name without its manifest).
    static func cryptomatteIDs(matching pattern: String, in layer: CryptomatteLayer) throws -> [Float] {
        let lower = pattern.lowercased()
        let matched = layer.manifest.filter { Cryptomatte.isGlob(lower) ? Cryptomatte.glob(lower, matches: $0.key.lowercased())
                                                                       : $0.key.lowercased() == lower }
        if !matched.isEmpty { return matched.keys.sorted().map { matched[$0]! } }
        if Cryptomatte.isGlob(lower) || layer.hasManifest {
            // Through the layer's own lookup, for its error (which lists the names there are).
            return try layer.ids(matching: pattern)
        }
        return [Cryptomatte.id(of: pattern)]
    }
}
