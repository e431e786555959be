import COCIO
import Foundation
import Synchronization

/// OpenColorIO 2.1 (Debian's libopencolorio) behind `COCIO` (issue 20): a plate's colour space named in a studio's
/// OCIO config. The machine that has the config (the coordinator, or `stylize` on a workstation) **bakes** the
/// conversion plate → scene-linear Rec.709 into one self-contained CTF text (OCIO's Color Transform Format, with
/// any LUT files of the config inlined); workers, which have no config, load that text and run it both ways.
/// From linear Rec.709 the built-in path (``ColorSpace/linearRec709``) takes over: highlights rolled off, sRGB
/// encoded.
public enum OpenColorIO {
    /// The biggest baked conversion accepted: from a config (a 65³ 3D LUT is about 7 MB of text) or from a peer.
    public static let maxConversionBytes = 16 << 20

    /// OpenColorIO's version, e.g. "2.1.2".
    public static var version: String { String(cString: sf_ocio_version()) }

    /// What went wrong with a config or a baked conversion.
    public struct Failure: Error, CustomStringConvertible, Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// The config cannot be read or is not valid.
            case config
            /// The name is none of the config's colour spaces, roles or display/view pairs.
            case unknownSpace
            /// The config defines no `aces_interchange` role, so StyleFarm cannot reach its working space from it.
            case noInterchange
            /// The conversion could not be built, baked or loaded.
            case transform
            case tooLarge
            case other
        }
        public var kind: Kind
        public var message: String
        public var description: String { message }
    }

    /// Bakes colour space `space` of the config at `config` — a colour space or alias, a role, or `DISPLAY/VIEW` (the
    /// plate is display-referred through that view) — into a ``Conversion`` to linear Rec.709: `space` → the
    /// config's `aces_interchange` role (ACES2065-1) → ``ColorSpace/ap0ToRec709``.
    public static func bake(space: String, config: String) throws -> Conversion {
        let matrix = ColorSpace.ap0ToRec709
        var text: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 4096)
        let code = sf_ocio_bake(config, space, matrix, maxConversionBytes, &text, &size, &message, message.count)
        guard code == SF_OCIO_OK, let text else { throw failure(code, message, context: "OpenColorIO config \(config)") }
        defer { sf_ocio_free_text(text) }
        let ctf = String(cString: text)
        return try Conversion(name: space, config: config, ctf: ctf)
    }

    /// The config's colour spaces, then its `DISPLAY/VIEW` pairs, then `role:NAME` lines, one per line.
    public static func describe(config: String) throws -> [String] {
        var text: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 4096)
        let code = sf_ocio_describe(config, &text, &size, &message, message.count)
        guard code == SF_OCIO_OK, let text else { throw failure(code, message, context: "OpenColorIO config \(config)") }
        defer { sf_ocio_free_text(text) }
        return String(cString: text).split(separator: "\n").map(String.init)
    }

    static func failure(_ code: Int32, _ message: [CChar], context: String) -> Failure {
        let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let kind: Failure.Kind
        switch code {
        case Int32(SF_OCIO_CONFIG): kind = .config
        case Int32(SF_OCIO_UNKNOWN_SPACE): kind = .unknownSpace
        case Int32(SF_OCIO_NO_INTERCHANGE): kind = .noInterchange
        case Int32(SF_OCIO_TRANSFORM): kind = .transform
        case Int32(SF_OCIO_TOO_LARGE): kind = .tooLarge
        default: kind = .other
        }
        return Failure(kind: kind, message: "\(context): \(text.isEmpty ? "OpenColorIO error \(code)" : text)")
    }

    /// A baked conversion between a plate's colour space and linear Rec.709, ready to run both ways. Equal when the
    /// name and the baked text are (the config path only says where it came from, for provenance).
    public final class Conversion: Sendable, Hashable, CustomStringConvertible {
        /// The colour space as the job named it.
        public let name: String
        /// The config it was baked from (empty when it came from a peer without one).
        public let config: String
        /// The baked conversion (CTF text).
        public let ctf: String
        nonisolated(unsafe) private let handle: OpaquePointer

        /// Loads a baked conversion (from ``bake(space:config:)``, or one a peer sent: checked, never trusted).
        public init(name: String, config: String, ctf: String) throws {
            guard !ctf.isEmpty, ctf.utf8.count <= OpenColorIO.maxConversionBytes else {
                throw Failure(kind: .tooLarge, message: "the OpenColorIO conversion for \(name) is empty or larger than \(OpenColorIO.maxConversionBytes) bytes")
            }
            var handle: OpaquePointer? = nil
            var message = [CChar](repeating: 0, count: 4096)
            let code = ctf.withCString { sf_ocio_load($0, strlen($0), &handle, &message, message.count) }
            guard code == SF_OCIO_OK, let handle else {
                throw OpenColorIO.failure(code, message, context: "the OpenColorIO conversion for \(name)")
            }
            self.name = name
            self.config = config
            self.ctf = ctf
            self.handle = handle
        }

        deinit { sf_ocio_free(handle) }

        /// ``init(name:config:ctf:)`` through a small process-wide cache: a worker gets the same conversion with every
        /// task of a job, and loading one costs a temporary file and OpenColorIO's parse.
        public static func cached(name: String, config: String, ctf: String) throws -> Conversion {
            if let hit = cache.withLock({ $0.first { $0.name == name && $0.config == config && $0.ctf == ctf } }) { return hit }
            let loaded = try Conversion(name: name, config: config, ctf: ctf)
            cache.withLock { entries in
                entries.insert(loaded, at: 0)
                if entries.count > 8 { entries.removeLast() }
            }
            return loaded
        }
        private static let cache = Mutex<[Conversion]>([])

        /// Converts interleaved RGB triples in place: plate → linear Rec.709 (`inverse` false) or back.
        public func apply(_ rgb: inout [Float], inverse: Bool) throws {
            guard rgb.count >= 3 else { return }
            var message = [CChar](repeating: 0, count: 1024)
            let code = rgb.withUnsafeMutableBufferPointer { p in
                sf_ocio_apply(handle, p.baseAddress, p.count / 3, inverse ? 1 : 0, &message, message.count)
            }
            guard code == SF_OCIO_OK else { throw OpenColorIO.failure(code, message, context: "converting \(name)") }
        }

        public var description: String { "\(name) (OpenColorIO\(config.isEmpty ? "" : ", \(config)"))" }

        public static func == (a: Conversion, b: Conversion) -> Bool { a === b || (a.name == b.name && a.ctf == b.ctf) }
        public func hash(into hasher: inout Hasher) { hasher.combine(name); hasher.combine(ctf.utf8.count) }
    }
}
