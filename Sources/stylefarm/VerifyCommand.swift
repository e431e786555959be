import ArgumentParser
import Engine
import FarmWire
import Foundation
import ModelStore
import Protocol

/// `stylefarm verify FILE`: renders a frame again from the provenance recorded in it (issue 20) and says whether the
/// result is the same — byte for byte, or else how far its pixels are. Renders are deterministic for a given thread
/// count, which the provenance records, so a frame that does not match was changed, or made from other inputs or by
/// another engine.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Render a frame again from its recorded provenance and say whether it matches.",
        discussion: """
            Reads the stylefarm/ attributes of an OpenEXR frame (or the stylefarm/ text of a PNG frame) written by \
            `stylefarm stylize` or by the farm: the \
            content and style paths and their SHA-256, the engine parameters, the plate's colour space and layer, \
            and the thread count. Checks that the inputs are still the ones recorded, renders the frame here with \
            the same thread count, encodes it like the file, and compares. Frames that depend on other frames or \
            on masks (temporal strategies, regions, tiles) are refused: render those on the farm again.

            Exit status: 0 the frame matches; 1 it differs (the largest pixel difference is printed); 2 it cannot \
            be verified (no provenance, changed inputs, an unsupported frame).

            Example:
              stylefarm verify renders/shot.1001.exr
            """)

    @Argument(help: "The frame to verify (OpenEXR or PNG with StyleFarm provenance).")
    var file: String

    @Option(help: "Model directory (default: $STYLEFARM_MODEL_DIR, else ~/.cache/stylefarm/models).")
    var modelDir: String?

    struct CannotVerify: Error, CustomStringConvertible {
        var description: String
    }

    func run() throws {
        do {
            try verify()
        } catch let error as CannotVerify {
            FileHandle.standardError.write(Data("stylefarm verify: cannot verify \(file): \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func verify() throws {
        let bytes = try FileBytes.readFile(path: file, maxBytes: ImageLimits.default.maxFileBytes)
        let format = ImageFormat.detect(bytes)
        guard format == .openEXR || format == .png else {
            throw CannotVerify(description: "only OpenEXR and PNG frames carry the provenance verify needs")
        }
        let provenance = try Provenance.read(bytes: bytes, name: file)
        guard let json = provenance[.parameters], !json.isEmpty, let contentPath = provenance[.contentPath],
              let threads = provenance[.threads].flatMap(Int.init), threads >= 1 else {
            throw CannotVerify(description: "it records no StyleFarm provenance (parameters, content path and thread count)")
        }
        for (key, why) in [(Provenance.Key.temporal, "its temporal strategy ties it to its neighbours"),
                           (.segment, "its regions come from masks made with it"), (.tiles, "it was rendered in tiles")] {
            if let value = provenance[key], !value.isEmpty { throw CannotVerify(description: "\(why) (\(key.rawValue): \(value))") }
        }
        if let engine = provenance[.engine], engine != Provenance.engineVersion {
            throw CannotVerify(description: "it was made by \(engine); this is \(Provenance.engineVersion)")
        }
        // The inputs must be the ones recorded.
        let stylePaths = (provenance[.stylePaths] ?? "").split(separator: "\n").map(String.init)
        let styleHashes = (provenance[.styles] ?? "").split(separator: ",").map(String.init)
        guard !stylePaths.isEmpty, stylePaths.count == styleHashes.count else {
            throw CannotVerify(description: "it records \(stylePaths.count) style path(s) and \(styleHashes.count) style hash(es)")
        }
        for (path, hash) in [(contentPath, provenance[.content] ?? "")] + zip(stylePaths, styleHashes).map({ ($0, $1) }) {
            let now: String
            do { now = BlobName.of(try FileBytes.readFile(path: path, maxBytes: ImageLimits.default.maxFileBytes)) } catch {
                throw CannotVerify(description: "its input \(path) cannot be read: \(error)")
            }
            guard now == hash else { throw CannotVerify(description: "its input \(path) changed since (SHA-256 \(now.prefix(12))…, recorded \(hash.prefix(12))…)") }
        }
        let wire: Stylefarm_V1_EngineParameters
        let parameters: StyleTransferParameters
        do {
            wire = try Stylefarm_V1_EngineParameters(jsonString: json)
            parameters = try StyleTransferParameters(wire, styleCount: stylePaths.count)
        } catch {
            throw CannotVerify(description: "its recorded parameters are not valid: \(error)")
        }
        var space: PlateColorSpace? = nil
        if let name = provenance[.inputColorspace], !name.isEmpty {
            let config = provenance[.ocioConfig].flatMap { $0.isEmpty ? nil : $0 }
            guard let named = PlateColorSpace(name: name, config: config) else { throw CannotVerify(description: "unknown colour space \(name)") }
            do { space = try named.baked() } catch {
                throw CannotVerify(description: "its colour space \(name) cannot be baked from \(config ?? "-") again: \(error)")
            }
            // The same config must give the same conversion, or the frame would convert differently.
            if case .ocio(let conversion) = space, let recorded = provenance[.ocioConversion],
               case let now = conversion.blobName, now != recorded {
                throw CannotVerify(description: "its OpenColorIO config \(conversion.config) converts \(name) differently since (SHA-256 \(now.prefix(12))…, recorded \(recorded.prefix(12))…)")
            }
        }
        let layer = provenance[.layer].flatMap { $0.isEmpty ? nil : $0 }

        // Render as it was: the same thread count, network and inputs.
        EngineThreads.set(threads)
        let store = ModelStore(directory: ModelDirectory.resolve(explicit: modelDir))
        let vgg = try VGG(network: parameters.network, pooling: parameters.pooling, weightFile: try store.loadVGGWeights(network: parameters.network))
        let plate = try Plate.read(path: contentPath, colorSpace: space, layer: layer)
        let styles = try stylePaths.map { try Plate.read(path: $0).working }
        let transfer = StyleTransfer(vgg: vgg)
        let result = try transfer.stylize(plate: plate, styleTargets: try transfer.styleTargets(styles: styles, parameters: parameters),
                                          parameters: parameters)
        // Encoded like the file: OpenEXR with its sample type and compression, or PNG at its bit depth.
        let image: Image, again: [UInt8], rendered: Image
        if format == .openEXR {
            let file = try OpenEXR.decode(bytes: bytes, name: self.file, layer: layer)
            image = file.image
            again = try plate.encode(result.image, as: .exr(half: file.half, compression: file.compression),
                                     attributes: provenance.attributes, name: "the render")
            if again == bytes {
                print("\(self.file): matches: rendered again with \(threads) thread(s), identical bytes")
                return
            }
            rendered = try OpenEXR.decode(bytes: again, name: "the render", layer: layer).image
        } else {
            image = try ImageReader.decode(bytes: bytes, name: self.file)
            again = try plate.encode(result.image, as: .png(bitDepth: image.bitDepth), attributes: provenance.attributes, name: "the render")
            if again == bytes {
                print("\(self.file): matches: rendered again with \(threads) thread(s), identical bytes")
                return
            }
            rendered = try ImageReader.decode(bytes: again, name: "the render")
        }
        guard rendered.width == image.width, rendered.height == image.height, rendered.channels == image.channels else {
            print("\(self.file): differs: the render is \(rendered.width)x\(rendered.height), the file \(image.width)x\(image.height)")
            throw ExitCode(1)
        }
        var largest: Float = 0, differing = 0
        for i in rendered.pixels.indices where rendered.pixels[i] != image.pixels[i] {
            differing += 1
            largest = max(largest, abs(rendered.pixels[i] - image.pixels[i]))
        }
        if differing == 0 {
            print("\(self.file): matches: the stylized pixels are identical (the file's other bytes differ: its header, text or other layers changed)")
            return
        }
        print("\(self.file): differs: \(differing) of \(rendered.pixels.count) samples, largest difference \(largest)")
        throw ExitCode(1)
    }
}
