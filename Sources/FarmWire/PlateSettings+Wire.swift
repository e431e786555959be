import Engine
import JobModel
import Protocol

extension Stylefarm_V1_PlateOptions {
    /// The wire form of a job's plate settings (empty fields for the defaults).
    public init(_ plate: PlateSettings) {
        self.init()
        inputColorspace = plate.colorSpace?.name ?? ""
        ocioConfig = plate.colorSpace?.config ?? ""
        if case .ocio(let conversion) = plate.colorSpace { ocioConversionSha256 = conversion.blobName }
        layer = plate.layer ?? ""
        exrCompression = plate.exrCompression == PlateSettings().exrCompression ? "" : plate.exrCompression.description
        exrFloat = !plate.exrHalf
    }
}

extension PlateSettings {
    /// The inverse of `Stylefarm_V1_PlateOptions.init(_:)`, checked: a value a peer sent that this build does not
    /// know is an `InvalidWireValue` naming it. `conversion` fetches a baked OpenColorIO conversion's blob by its
    /// name (a worker's blob source); without it, settings that name one are refused.
    public init(wire: Stylefarm_V1_PlateOptions, conversion fetch: ((String) throws -> [UInt8])? = nil) throws {
        self.init()
        if !wire.ocioConversionSha256.isEmpty {
            // A conversion the coordinator baked: loaded (OpenColorIO checks every byte of it), never trusted.
            let sha = wire.ocioConversionSha256
            guard BlobName.isValid(sha) else { throw InvalidWireValue("the OpenColorIO conversion's blob name is not a SHA-256") }
            guard wire.inputColorspace.utf8.count <= 255, wire.ocioConfig.utf8.count <= 4096 else {
                throw InvalidWireValue("the OpenColorIO colour space or config name is too long")
            }
            guard let fetch else { throw InvalidWireValue("an OpenColorIO conversion (blob \(sha.prefix(12))…) where none is taken") }
            let bytes = try fetch(sha)
            guard bytes.count <= OpenColorIO.maxConversionBytes, BlobName.of(bytes) == sha else {
                throw InvalidWireValue("the OpenColorIO conversion blob \(sha.prefix(12))… is larger than \(OpenColorIO.maxConversionBytes) bytes or not what its name says")
            }
            do {
                colorSpace = .ocio(try OpenColorIO.Conversion.cached(name: wire.inputColorspace, config: wire.ocioConfig,
                                                                     ctf: String(decoding: bytes, as: UTF8.self)))
            } catch {
                throw InvalidWireValue("the OpenColorIO conversion for \(String(wire.inputColorspace.prefix(80)).debugDescription) cannot be loaded: \(error)")
            }
        } else if !wire.inputColorspace.isEmpty {
            let config = wire.ocioConfig.isEmpty ? nil : wire.ocioConfig
            guard wire.inputColorspace.utf8.count <= 255, !wire.inputColorspace.contains(where: { $0.isNewline || $0 == "\0" }),
                  config.map({ $0.hasPrefix("/") && $0.utf8.count <= 4096 && !$0.contains(where: { $0.isNewline || $0 == "\0" }) }) ?? true,
                  let space = PlateColorSpace(name: wire.inputColorspace, config: config) else {
                throw InvalidWireValue("unknown input colour space \(String(wire.inputColorspace.prefix(80)).debugDescription)")
            }
            colorSpace = space
        }
        if !wire.layer.isEmpty {
            guard wire.layer.utf8.count <= 255, !wire.layer.contains(where: { $0.isNewline || $0 == "\0" }) else {
                throw InvalidWireValue("the OpenEXR layer name is not one line of at most 255 bytes")
            }
            layer = wire.layer
        }
        if !wire.exrCompression.isEmpty {
            guard let compression = OpenEXR.Compression(name: wire.exrCompression) else {
                throw InvalidWireValue("unknown OpenEXR compression \(String(wire.exrCompression.prefix(80)).debugDescription)")
            }
            exrCompression = compression
        }
        exrHalf = !wire.exrFloat
    }
}

extension OpenColorIO.Conversion {
    /// The name of the conversion's blob (the SHA-256 of its CTF text): what tasks name, what provenance records and
    /// what `verify` compares.
    public var blobName: String { BlobName.of(Array(ctf.utf8)) }
}
