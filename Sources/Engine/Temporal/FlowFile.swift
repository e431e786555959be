import Foundation

/// Errors reading a Middlebury `.flo` file.
public enum FlowFileError: Error, Equatable, CustomStringConvertible {
    /// Fewer than the 12 header bytes.
    case tooShort(name: String, bytes: Int)
    /// The first four bytes are not the float 202021.25 (ASCII `PIEH`).
    case badMagic(name: String, found: Float)
    /// Width or height not positive, or larger than `FlowFile.maxSide`.
    case badDimensions(name: String, width: Int, height: Int)
    /// The data is shorter than 12 + 8·width·height bytes.
    case truncated(name: String, expected: Int, actual: Int)
    /// Bytes after the 12 + 8·width·height the header announces.
    case trailingData(name: String, expected: Int, actual: Int)
    /// Reading or writing the file failed (missing, unreadable, directory…).
    case io(name: String, reason: String)

    public var description: String {
        switch self {
        case let .tooShort(name, bytes):
            return "\(name): \(bytes) bytes is too short for a .flo file (the header alone is 12 bytes)"
        case let .badMagic(name, found):
            return "\(name): not a Middlebury .flo file (first float is \(found), expected 202021.25 'PIEH')"
        case let .badDimensions(name, width, height):
            return "\(name): invalid flow size \(width)×\(height) (each side must be 1…\(FlowFile.maxSide))"
        case let .truncated(name, expected, actual):
            return "\(name): truncated .flo file (\(actual) bytes, the header announces \(expected))"
        case let .trailingData(name, expected, actual):
            return "\(name): \(actual - expected) unexpected bytes after the flow data (\(actual) bytes, expected \(expected))"
        case let .io(name, reason):
            return "\(name): \(reason)"
        }
    }
}

/// The Middlebury optical-flow file format (Baker et al., "A Database and Evaluation Methodology for
/// Optical Flow", IJCV 2011; also used by MPI-Sintel): little-endian; float32 202021.25 (`PIEH`), int32
/// width, int32 height, then width·height (u, v) float32 pairs, row-major. Unknown flow is stored as
/// values above 1e9 (see `FlowField.unknownThreshold`).
public enum FlowFile {
    public static let magic: Float = 202021.25
    /// Largest accepted side (bounds the allocation before any data is read).
    public static let maxSide = 32768
    /// Largest accepted file (a 16384² flow; bounds the read).
    public static let maxBytes = 12 + 8 * 16384 * 16384

    /// Parses a .flo file's bytes; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String = "<memory>") throws -> FlowField {
        guard bytes.count >= 12 else { throw FlowFileError.tooShort(name: name, bytes: bytes.count) }
        func word(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
        let tag = Float(bitPattern: word(0))
        guard tag == magic else { throw FlowFileError.badMagic(name: name, found: tag) }
        let width = Int(Int32(bitPattern: word(4))), height = Int(Int32(bitPattern: word(8)))
        guard (1...maxSide).contains(width) && (1...maxSide).contains(height) else {
            throw FlowFileError.badDimensions(name: name, width: width, height: height)
        }
        let expected = 12 + 8 * width * height
        if bytes.count < expected { throw FlowFileError.truncated(name: name, expected: expected, actual: bytes.count) }
        if bytes.count > expected { throw FlowFileError.trailingData(name: name, expected: expected, actual: bytes.count) }
        let n = width * height
        var u = [Float](repeating: 0, count: n), v = [Float](repeating: 0, count: n)
        bytes.withUnsafeBufferPointer { src in
            u.withUnsafeMutableBufferPointer { ub in
                v.withUnsafeMutableBufferPointer { vb in
                    let p = src.baseAddress! + 12
                    for i in 0..<n {
                        let q = p + 8 * i
                        ub[i] = Float(bitPattern: UInt32(q[0]) | UInt32(q[1]) << 8 | UInt32(q[2]) << 16 | UInt32(q[3]) << 24)
                        vb[i] = Float(bitPattern: UInt32(q[4]) | UInt32(q[5]) << 8 | UInt32(q[6]) << 16 | UInt32(q[7]) << 24)
                    }
                }
            }
        }
        return FlowField(width: width, height: height, u: u, v: v)
    }

    /// The .flo bytes of `flow`.
    public static func encode(_ flow: FlowField) -> [UInt8] {
        let n = flow.pixelCount
        var bytes = [UInt8](repeating: 0, count: 12 + 8 * n)
        bytes.withUnsafeMutableBufferPointer { out in
            let p = out.baseAddress!
            func put(_ value: UInt32, _ q: UnsafeMutablePointer<UInt8>) {
                q[0] = UInt8(truncatingIfNeeded: value); q[1] = UInt8(truncatingIfNeeded: value >> 8)
                q[2] = UInt8(truncatingIfNeeded: value >> 16); q[3] = UInt8(truncatingIfNeeded: value >> 24)
            }
            put(magic.bitPattern, p)
            put(UInt32(bitPattern: Int32(flow.width)), p + 4)
            put(UInt32(bitPattern: Int32(flow.height)), p + 8)
            flow.u.withUnsafeBufferPointer { ub in
                flow.v.withUnsafeBufferPointer { vb in
                    for i in 0..<n {
                        put(ub[i].bitPattern, p + 12 + 8 * i)
                        put(vb[i].bitPattern, p + 16 + 8 * i)
                    }
                }
            }
        }
        return bytes
    }

    /// Reads and parses a .flo file.
    public static func read(path: String) throws -> FlowField {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.readFile(path: path, maxBytes: maxBytes)
        } catch let error as ImageIOError {
            throw FlowFileError.io(name: path, reason: "\(error)")
        }
        return try decode(bytes, name: path)
    }

    /// Writes `flow` to `path` atomically.
    public static func write(_ flow: FlowField, to path: String) throws {
        do {
            try FileBytes.writeAtomically(encode(flow), to: path)
        } catch let error as ImageIOError {
            throw FlowFileError.io(name: path, reason: "\(error)")
        }
    }
}
