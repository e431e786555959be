/// The binary form of `GramSums`, the result of a farm task that sums part of a style image's Gram
/// matrices (media type `mediaType`). Same conventions as serialized `StyleTargets`:
///
///     offset  size  field
///     0       4     magic "SFGS"
///     4       2     format version (1)
///     6       4     layer count L
///     then L times:
///             2     name length N (1...255)
///             N     name, UTF-8
///             4     channel count C (0...4096; 0 only with no positions)
///             8     positions summed
///             8·C²  Σ F·Fᵀ, row-major IEEE-754 binary64 bit patterns
///
/// Malformed input throws `StyleTargetsSerializationError`, never traps.
extension GramSums {
    public static let serializationMagic: [UInt8] = Array("SFGS".utf8)
    public static let serializationVersion: UInt16 = 1
    public static let mediaType = "application/x-stylefarm-gram-sums"

    public func serialized() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10 + layers.reduce(0) { $0 + 14 + $1.name.utf8.count + 8 * $1.sums.count })
        StyleTargets.appendHeader(magic: Self.serializationMagic, version: Self.serializationVersion, count: layers.count, to: &out)
        for (index, layer) in layers.enumerated() {
            let name = try StyleTargets.layerNameBytes(layer.name, index: index)
            guard (0...StyleTargets.maxSerializedChannels).contains(layer.channels) else {
                throw StyleTargetsSerializationError.invalidChannelCount(layer: index, channels: layer.channels)
            }
            guard layer.sums.count == layer.channels * layer.channels else {
                throw StyleTargetsSerializationError.gramSizeMismatch(layer: index, channels: layer.channels, values: layer.sums.count)
            }
            out += name
            StyleTargets.append(UInt64(layer.channels), bytes: 4, to: &out)
            StyleTargets.append(UInt64(layer.positions), bytes: 8, to: &out)
            for value in layer.sums { StyleTargets.append(value.bitPattern, bytes: 8, to: &out) }
        }
        return out
    }

    public init(serialized bytes: [UInt8]) throws {
        var reader = ByteReader(bytes: bytes)
        let count = try reader.header(magic: Self.serializationMagic, version: Self.serializationVersion, minimumLayerBytes: 15)
        var layers: [Layer] = []
        for index in 0..<count {
            let name = try reader.layerName(index: index)
            if layers.contains(where: { $0.name == name }) { throw StyleTargetsSerializationError.duplicateLayer(name) }
            let channels = try reader.integer(bytes: 4)
            guard channels <= UInt64(StyleTargets.maxSerializedChannels) else {
                throw StyleTargetsSerializationError.invalidChannelCount(layer: index, channels: Int(channels))
            }
            let positions = try reader.integer(bytes: 8)
            guard positions <= UInt64(Int.max) else { throw StyleTargetsSerializationError.truncated(offset: reader.offset) }
            let c = Int(channels)
            guard reader.remaining >= 8 * c * c else { throw StyleTargetsSerializationError.truncated(offset: reader.offset) }
            var sums = [Double](repeating: 0, count: c * c)
            for i in 0..<sums.count { sums[i] = Double(bitPattern: try reader.integer(bytes: 8)) }
            layers.append(Layer(name: name, channels: c, positions: Int(positions), sums: sums))
        }
        guard reader.remaining == 0 else { throw StyleTargetsSerializationError.trailingBytes(count: reader.remaining) }
        self.init(layers: layers)
    }
}
