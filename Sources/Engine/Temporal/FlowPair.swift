/// The two optical flows between a pair of frames: `forward` (first → second, on the first frame's grid)
/// and `backward` (second → first, on the second frame's grid). Everything Ruder, Dosovitskiy & Brox
/// ("Artistic style transfer for videos", GCPR 2016) need to carry a result across the pair in either
/// direction: the backward warp ω of section 3 and the forward–backward certainty of section 3.2.
///
/// A farm computes the pair once per neighbouring frames and ships it between tasks as `serialized()`.
public struct FlowPair: Sendable, Equatable {
    /// First → second: pixel p of the first frame is at p + forward(p) in the second.
    public var forward: FlowField
    /// Second → first: pixel p of the second frame is at p + backward(p) in the first.
    public var backward: FlowField

    /// Both flows must describe frames of the same size (programming error otherwise; decoding checks it).
    public init(forward: FlowField, backward: FlowField) {
        precondition(forward.width == backward.width && forward.height == backward.height, "FlowPair: flows differ in size")
        self.forward = forward
        self.backward = backward
    }

    public var width: Int { forward.width }
    public var height: Int { forward.height }

    /// Both flows by OpenCV DIS (`OpticalFlow.dis`) on the images as given. Throws
    /// `TemporalError.sizeMismatch` when the frames differ in size (resize them first).
    public static func dis(first: Image, second: Image, preset: DISPreset) throws -> FlowPair {
        guard first.width == second.width && first.height == second.height else {
            throw TemporalError.sizeMismatch(what: "the two frames of a flow pair", first.width, first.height,
                                             second.width, second.height)
        }
        return FlowPair(forward: try OpticalFlow.dis(from: first, to: second, preset: preset),
                        backward: try OpticalFlow.dis(from: second, to: first, preset: preset))
    }

    // MARK: Certainty and warps

    /// The certainty of warping the FIRST frame's result into the SECOND frame (Ruder et al. §3.2 with
    /// t−1 = first, t = second), on the second frame's grid.
    public func certaintyOfSecond() throws -> FlowCertainty {
        try FlowCertainty.ruder(forward: forward, backward: backward)
    }

    /// The certainty of warping the SECOND frame's result into the FIRST frame (the same check with the
    /// roles swapped: "forward" second → first, "backward" first → second), on the first frame's grid.
    public func certaintyOfFirst() throws -> FlowCertainty {
        try FlowCertainty.ruder(forward: backward, backward: forward)
    }

    /// `image` (on the first frame's grid) brought into the second frame: ω(x)(p) = x(p + backward(p)).
    public func warpIntoSecond(_ image: Image) throws -> Image {
        try Warp.backward(image, flow: backward).image
    }

    /// `image` (on the second frame's grid) brought into the first frame: ω(x)(p) = x(p + forward(p)).
    public func warpIntoFirst(_ image: Image) throws -> Image {
        try Warp.backward(image, flow: forward).image
    }

    /// Both flows at another resolution, vectors scaled by the size ratio (`FlowField.resampled`).
    public func resampled(width: Int, height: Int) -> FlowPair {
        FlowPair(forward: forward.resampled(width: width, height: height),
                 backward: backward.resampled(width: width, height: height))
    }

    // MARK: Serialization

    /// The blob's first four bytes.
    /// The media type of a serialized pair on the farm (flow tasks' results).
    public static let mediaType = "application/x-stylefarm-flow-pair"
    public static let magic: [UInt8] = Array("SFFP".utf8)
    public static let version: UInt32 = 1

    /// A small binary blob: "SFFP", UInt32 version (1), then the forward and the backward flow, each as
    /// its Middlebury `.flo` bytes (`FlowFile.encode`) prefixed by their UInt64 length; little-endian.
    public func serialized() -> [UInt8] {
        let f = FlowFile.encode(forward), b = FlowFile.encode(backward)
        var out: [UInt8] = []
        out.reserveCapacity(8 + 16 + f.count + b.count)
        out += Self.magic
        out += withUnsafeBytes(of: Self.version.littleEndian, Array.init)
        out += withUnsafeBytes(of: UInt64(f.count).littleEndian, Array.init)
        out += f
        out += withUnsafeBytes(of: UInt64(b.count).littleEndian, Array.init)
        out += b
        return out
    }

    /// Parses `serialized()`'s blob; `name` (a file or key) appears in errors. Every length is checked
    /// against the bytes there before it is used; the embedded flows are validated by `FlowFile.decode`.
    public init(serialized bytes: [UInt8], name: String) throws {
        guard bytes.count >= 8 else {
            throw FlowPairError.truncated(name: name, what: "header", needed: 8, available: bytes.count)
        }
        guard Array(bytes[0..<4]) == Self.magic else {
            throw FlowPairError.badMagic(name: name, found: Array(bytes[0..<4]))
        }
        var offset = 4
        func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ what: String) throws -> T {
            let size = MemoryLayout<T>.size
            guard bytes.count - offset >= size else {
                throw FlowPairError.truncated(name: name, what: what, needed: size, available: bytes.count - offset)
            }
            var value: T = 0
            for k in 0..<size { value |= T(bytes[offset + k]) << (8 * k) }
            offset += size
            return value
        }
        let version = try integer(UInt32.self, "version")
        guard version == Self.version else {
            throw FlowPairError.unsupportedVersion(name: name, version: version, supported: Self.version)
        }
        func flow(_ what: String) throws -> FlowField {
            let length = try integer(UInt64.self, "\(what) flow length")
            let available = bytes.count - offset
            guard length <= UInt64(available) else {
                throw FlowPairError.truncated(name: name, what: "\(what) flow", needed: Int(clamping: length), available: available)
            }
            let end = offset + Int(length)
            let field = try FlowFile.decode(Array(bytes[offset..<end]), name: "\(name) (\(what) flow)")
            offset = end
            return field
        }
        let forward = try flow("forward"), backward = try flow("backward")
        guard offset == bytes.count else {
            throw FlowPairError.trailingData(name: name, bytes: bytes.count - offset)
        }
        guard forward.width == backward.width && forward.height == backward.height else {
            throw TemporalError.sizeMismatch(what: "\(name): the forward and backward flows", forward.width, forward.height,
                                             backward.width, backward.height)
        }
        self.init(forward: forward, backward: backward)
    }
}

/// Errors reading a `FlowPair` blob (`FlowPair.init(serialized:name:)`); errors inside one of its flows
/// are `FlowFileError`s naming that flow.
public enum FlowPairError: Error, Equatable, CustomStringConvertible {
    /// The first four bytes are not "SFFP".
    case badMagic(name: String, found: [UInt8])
    /// A version this build cannot read.
    case unsupportedVersion(name: String, version: UInt32, supported: UInt32)
    /// The blob ends before `what` (needed bytes, bytes left).
    case truncated(name: String, what: String, needed: Int, available: Int)
    /// Bytes after the backward flow.
    case trailingData(name: String, bytes: Int)

    public var description: String {
        switch self {
        case let .badMagic(name, found):
            return "\(name): not a flow-pair blob (starts with \(found), expected \"SFFP\"); was it written by FlowPair.serialized()?"
        case let .unsupportedVersion(name, version, supported):
            return "\(name): flow-pair version \(version), this build reads version \(supported); recompute the flows"
        case let .truncated(name, what, needed, available):
            return "\(name): truncated flow-pair blob: the \(what) needs \(needed) bytes, only \(available) left; the transfer was cut short, recompute or refetch it"
        case let .trailingData(name, bytes):
            return "\(name): \(bytes) unexpected bytes after the flow pair; the blob is corrupt, recompute or refetch it"
        }
    }
}
