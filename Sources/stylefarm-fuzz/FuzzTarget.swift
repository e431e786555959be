import Engine
import FarmWire
import Foundation
import JobModel
import Protocol

/// The decoders a peer's or a user's bytes reach, each as a fuzz target (issue 17, docs/SECURITY.md
/// "Fuzzing"): whatever the input, a target returns — errors are thrown and caught, never a crash, a hang or
/// an allocation the input's header asks for before the limits are checked. `scripts/fuzz.sh` runs one under
/// libFuzzer; the test suite replays every committed corpus file (`Fuzz/corpus/<target>/`) through `run`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Multipart framing and envelope decoding on both channels, routed and not.
    case framing
    /// Job specs: YAML/JSON text and the wire form.
    case jobspec
    /// PNG and JPEG decoding, under small limits.
    case images
    /// The farm's binary blobs (style targets, Gram sums, flow pairs, .flo) and credential files, and the
    /// OpenColorIO conversions (CTF text) a coordinator sends its workers.
    case blobs

    /// Runs the target on one input.
    public func run(_ data: Data) {
        switch self {
        case .framing: Self.framing(data)
        case .jobspec: Self.jobspec(data)
        case .images: Self.images(data)
        case .blobs: Self.blobs(data)
        }
    }

    /// Frames: the input split at 0xFF bytes (at most 24 frames), so inputs can say where frames end.
    static func frames(_ data: Data) -> [Data] {
        Array(data.split(separator: 0xFF, maxSplits: 23, omittingEmptySubsequences: false).map { Data($0) })
    }

    static func framing(_ data: Data) {
        let framing = Framing(maxMessageBytes: 1 << 20)
        let frames = frames(data)
        _ = try? framing.decode(Stylefarm_V1_ClientRequest.self, from: frames)
        _ = try? framing.decode(Stylefarm_V1_CoordinatorMessage.self, from: frames)
        _ = try? framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: frames)
        _ = try? framing.decodeRouted(Stylefarm_V1_ClientRequest.self, from: frames)
        if let message = try? framing.decodeRouted(Stylefarm_V1_WorkerMessage.self, from: frames).message,
           case .result(let result)? = message.payload {
            _ = BlobName.isValid(result.output.sha256)
            _ = try? result.data.resolve(in: Array(frames.dropFirst(3)))
        }
    }

    static func jobspec(_ data: Data) {
        if let text = String(data: data, encoding: .utf8) {
            _ = try? JobSpecFile.parse(text, format: .yaml, baseDirectory: "/fuzz")
            _ = try? JobSpecFile.parse(text, format: .json, baseDirectory: "/fuzz")
            _ = try? Credential.parse(text, path: "fuzz")
            _ = try? CheckoutLayout.components(of: text)
        }
        if let wire = try? Stylefarm_V1_JobSpec(serializedBytes: data) {
            _ = try? JobSpec(wire: wire)
        }
        if let parameters = try? Stylefarm_V1_EngineParameters(serializedBytes: data) {
            _ = try? StyleTransferParameters(parameters, styleCount: 2)
        }
    }

    static func images(_ data: Data) {
        let limits = ImageLimits(maxPixels: 4_000_000, maxFileBytes: 16 << 20)
        _ = try? ImageReader.decode(bytes: [UInt8](data), name: "fuzz", limits: limits)
        _ = try? OpenEXR.decode(bytes: [UInt8](data), name: "fuzz", limits: limits)
        _ = try? OpenEXR.decode(bytes: [UInt8](data), name: "fuzz", layer: "diffuse", limits: limits)
        let bytes = [UInt8](data)
        // What a plate's header and extra layers feed: provenance, Cryptomatte manifests and rank channels, and a
        // rewrite with every other layer passed through.
        _ = try? Provenance.read(bytes: bytes, name: "fuzz")
        _ = try? OpenEXR.channelNames(bytes: bytes, name: "fuzz")
        _ = try? RegionMasks.cryptomatte(exr: bytes, selector: "cryptomatte", names: ["suzanne", "c*"], source: "fuzz", limits: limits)
        if let plate = try? Plate.decode(bytes: bytes, name: "fuzz", limits: limits), plate.isEXR {
            _ = try? plate.encode(plate.working, as: .exr(half: true, compression: .zip), attributes: ["stylefarm/job": "fuzz"], name: "fuzz")
        }
    }

    static func blobs(_ data: Data) {
        let bytes = [UInt8](data)
        _ = try? StyleTargets(serialized: bytes)
        _ = try? GramSums(serialized: bytes)
        _ = try? FlowPair(serialized: bytes, name: "fuzz")
        _ = try? FlowFile.decode(bytes, name: "fuzz")
        if bytes.first == UInt8(ascii: "<"), let text = String(data: data, encoding: .utf8) {
            var wire = Stylefarm_V1_PlateOptions()
            wire.inputColorspace = "fuzz"
            wire.ocioConversionSha256 = BlobName.of(Array(text.utf8))
            if let plate = try? PlateSettings(wire: wire, conversion: { _ in Array(text.utf8) }) {
                var rgb = [Float](repeating: 0.5, count: 12)
                try? plate.colorSpace?.toWorking(&rgb)
                try? plate.colorSpace?.fromWorking(&rgb)
            }
        }
    }
}
