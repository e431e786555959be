/// Why an animated PNG could not be assembled. Every case names the output (file path or in-memory label).
public enum APNGEncodingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No frames were given.
    case noFrames(name: String)
    /// Frame `frame` (0-based) is not the size of frame 0.
    case sizeMismatch(name: String, frame: Int, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int)
    /// Frame `frame` (0-based) does not have frame 0's channel count (gray, gray+alpha, RGB, RGBA).
    case channelMismatch(name: String, frame: Int, channels: Int, expectedChannels: Int)
    /// The PNG encoder's output for frame `frame` could not be split into chunks (an internal error).
    case malformedFrame(name: String, frame: Int, reason: String)

    public var description: String {
        switch self {
        case .noFrames(let name):
            return "\(name): an animated PNG needs at least one frame"
        case .sizeMismatch(let name, let frame, let width, let height, let expectedWidth, let expectedHeight):
            return "\(name): frame \(frame) is \(width)x\(height) but frame 0 is \(expectedWidth)x\(expectedHeight); "
                + "every frame of an animated PNG must have the same size, resize them first"
        case .channelMismatch(let name, let frame, let channels, let expectedChannels):
            return "\(name): frame \(frame) has \(channels) channels but frame 0 has \(expectedChannels); "
                + "convert every frame to the same layout first (e.g. toRGB())"
        case .malformedFrame(let name, let frame, let reason):
            return "\(name): the PNG encoder's output for frame \(frame) is malformed (\(reason))"
        }
    }
}

/// Writes animated PNGs (APNG, https://wiki.mozilla.org/APNG_Specification).
///
/// Each frame is encoded as an ordinary PNG by `ImageWriter`, split into chunks, and the chunks are
/// reassembled into one stream: the signature, frame 0's IHDR, `acTL` (frame count, plays), then frame 0 as
/// `fcTL` + `IDAT` (frame 0 is also the default image, so viewers without APNG support show it), every
/// later frame as `fcTL` + `fdAT` (a sequence number followed by the frame's IDAT data), and `IEND`.
/// `fcTL` and `fdAT` share one sequence counter that starts at 0. Every frame covers the whole canvas
/// (offset 0, 0) with dispose op NONE and blend op SOURCE, so it replaces the previous frame outright.
public enum APNGEncoding {
    /// The 8-byte PNG signature.
    static let signature = PNGChunks.signature

    /// Encodes `frames` as one animated PNG.
    ///
    /// - Parameters:
    ///   - frames: at least one image; all must have the same width, height and channel count.
    ///   - delay: how long each frame is shown, in seconds as a fraction (the default 1/8 s is 8 fps).
    ///     A denominator of 0 means 1/100 s, per the APNG specification.
    ///   - loops: how many times the animation plays; 0 loops forever.
    ///   - bitDepth: bits per sample, 8 or 16 (as `ImageWriter.encodePNG`).
    ///   - name: labels errors (the output path, or a description for in-memory data).
    /// - Throws: `APNGEncodingError` for no frames or frames that differ in size or layout;
    ///   `ImageIOError` when a frame cannot be encoded (e.g. an unsupported bit depth).
    public static func encode(_ frames: [Image], delay: (numerator: UInt16, denominator: UInt16) = (1, 8),
                              loops: UInt32 = 0, bitDepth: Int = 8, name: String) throws -> [UInt8] {
        guard let first = frames.first else { throw APNGEncodingError.noFrames(name: name) }
        for (index, frame) in frames.enumerated() {
            if frame.width != first.width || frame.height != first.height {
                throw APNGEncodingError.sizeMismatch(name: name, frame: index, width: frame.width, height: frame.height,
                                                     expectedWidth: first.width, expectedHeight: first.height)
            }
            if frame.channels != first.channels {
                throw APNGEncodingError.channelMismatch(name: name, frame: index, channels: frame.channels,
                                                        expectedChannels: first.channels)
            }
        }

        var out = signature
        var sequence: UInt32 = 0
        var header: PNGChunks.Chunk?
        for (index, frame) in frames.enumerated() {
            let png = try ImageWriter.encodePNGBytes(frame, bitDepth: bitDepth, compressionLevel: 6, name: name)
            let chunks = try parseChunks(png, name: name, frame: index)
            guard let ihdr = chunks.first, ihdr.type == "IHDR", ihdr.data.count == 13 else {
                throw APNGEncodingError.malformedFrame(name: name, frame: index, reason: "it does not start with IHDR")
            }
            guard let firstData = chunks.firstIndex(where: { $0.type == "IDAT" }) else {
                throw APNGEncodingError.malformedFrame(name: name, frame: index, reason: "it has no IDAT chunk")
            }
            let imageData = chunks[firstData...].prefix { $0.type == "IDAT" }
            if let header {
                guard header.data.elementsEqual(ihdr.data) else {
                    throw APNGEncodingError.malformedFrame(name: name, frame: index, reason: "its IHDR differs from frame 0's")
                }
            } else {
                header = ihdr
                appendChunk("IHDR", ihdr.data, to: &out)
                appendChunk("acTL", bigEndian(UInt32(frames.count)) + bigEndian(loops), to: &out)
                // Ancillary chunks the encoder put before the image data (none today) stay with the default image.
                for chunk in chunks[1..<firstData] { appendChunk(chunk.type, chunk.data, to: &out) }
            }
            var control = bigEndian(sequence)
            control += bigEndian(UInt32(frame.width)) + bigEndian(UInt32(frame.height))
            control += bigEndian(UInt32(0)) + bigEndian(UInt32(0))          // x, y offset
            control += bigEndian(delay.numerator) + bigEndian(delay.denominator)
            control += [0, 0]                                               // dispose NONE, blend SOURCE
            appendChunk("fcTL", control, to: &out)
            sequence += 1
            for chunk in imageData {
                if index == 0 {
                    appendChunk("IDAT", chunk.data, to: &out)
                } else {
                    guard chunk.data.count <= Int(Int32.max) - 4 else {
                        throw APNGEncodingError.malformedFrame(name: name, frame: index, reason: "an IDAT chunk is too long")
                    }
                    appendChunk("fdAT", chunk.data, sequence: sequence, to: &out)
                    sequence += 1
                }
            }
        }
        appendChunk("IEND", [UInt8](), to: &out)
        return out
    }

    /// Encodes `frames` (see `encode`) and writes them to `path` atomically (`FileBytes.writeAtomically`):
    /// readers never see a partial file, and a failed write leaves an existing file unchanged.
    public static func write(_ frames: [Image], to path: String,
                             delay: (numerator: UInt16, denominator: UInt16) = (1, 8),
                             loops: UInt32 = 0, bitDepth: Int = 8) throws {
        let bytes = try encode(frames, delay: delay, loops: loops, bitDepth: bitDepth, name: path)
        try FileBytes.writeAtomically(bytes, to: path)
    }

    /// The chunks of `png` (``PNGChunks/parse(_:)``), its errors named by frame.
    private static func parseChunks(_ png: [UInt8], name: String, frame: Int) throws -> [PNGChunks.Chunk] {
        do { return try PNGChunks.parse(png) } catch let error as PNGChunks.Malformed {
            throw APNGEncodingError.malformedFrame(name: name, frame: frame, reason: error.reason)
        }
    }

    private static func appendChunk<C: Collection>(_ type: String, _ data: C, sequence: UInt32? = nil,
                                                   to out: inout [UInt8]) where C.Element == UInt8 {
        PNGChunks.append(type, data, sequence: sequence, to: &out)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { PNGChunks.bigEndian(value) }

    private static func bigEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)]
    }
}
