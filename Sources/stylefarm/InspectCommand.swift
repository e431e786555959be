import ArgumentParser
import Engine
import Foundation

/// `stylefarm inspect FILE`: what an image is (format, size, OpenEXR channels, windows, compression) and how StyleFarm
/// made it — the provenance a farm or `stylize` output records in its OpenEXR header (issue 20).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print an image's format and the provenance StyleFarm recorded in it.",
        discussion: """
            OpenEXR outputs of `stylefarm stylize` and of the farm record how they were made under stylefarm/ header
            attributes: the job, the frame, the engine and its thread count, the parameters and the SHA-256 of every
            input. Example:
              stylefarm inspect renders/shot.1001.exr
            """)

    @Argument(help: "The image file (OpenEXR, PNG or JPEG).")
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Also print every other string attribute of an OpenEXR header (e.g. Cryptomatte manifests).")
    var all = false

    func run() throws {
        let bytes = try FileBytes.readFile(path: file, maxBytes: ImageLimits.default.maxFileBytes)
        var report: [(String, String)] = []
        var attributes: [String: String] = [:]
        switch ImageFormat.detect(bytes) {
        case .openEXR?:
            let channels = try OpenEXR.channelNames(bytes: bytes, name: file)
            attributes = try OpenEXR.stringAttributes(bytes: bytes, name: file)
            report.append(("format", "OpenEXR"))
            report.append(("channels", channels.joined(separator: " ")))
            // The windows and storage, from the unnamed layer or else the first layer with colour channels.
            let layers = [nil] + channels.compactMap { name -> String? in
                guard name.hasSuffix(".R") || name.hasSuffix(".r") else { return nil }
                return String(name.dropLast(2))
            }
            if let decoded = layers.lazy.compactMap({ try? OpenEXR.decode(bytes: bytes, name: file, layer: $0) }).first {
                let d = decoded.dataWindow, w = decoded.displayWindow
                report.append(("display window", "(\(w.minX), \(w.minY))-(\(w.maxX), \(w.maxY)), \(w.width)x\(w.height)"))
                report.append(("data window", "(\(d.minX), \(d.minY))-(\(d.maxX), \(d.maxY))"))
                report.append(("samples", decoded.half ? "half" : "float"))
                report.append(("compression", decoded.compression.description))
                if decoded.tiled { report.append(("storage", "tiled")) }
                if decoded.parts > 1 { report.append(("parts", "\(decoded.parts) (the layer is read from the first part that has it; the others pass through)")) }
            }
        case .png?:
            let image = try ImageReader.decode(bytes: bytes, name: file)
            attributes = try PNGText.read(bytes, name: file)
            report.append(("format", "PNG"))
            report.append(("size", "\(image.width)x\(image.height), \(image.channels) channels, \(image.bitDepth) bits"))
        case .jpeg?:
            let image = try ImageReader.decode(bytes: bytes, name: file)
            report.append(("format", "JPEG"))
            report.append(("size", "\(image.width)x\(image.height), \(image.channels) channels"))
        case let format:
            throw ValidationError("\(file) is \(format.map { "a \($0.rawValue) file" } ?? "not an image StyleFarm reads"); inspect reads OpenEXR, PNG and JPEG")
        }
        let provenance = Provenance(attributes: attributes)
        let others = attributes.filter { !$0.key.hasPrefix(Provenance.prefix) }
        if json {
            var object: [String: Any] = Dictionary(uniqueKeysWithValues: report)
            object["provenance"] = provenance.entries
            if all { object["attributes"] = others }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for (key, value) in report { print("\(key): \(value)") }
        if provenance.entries.isEmpty {
            print("provenance: none (not written by StyleFarm)")
        } else {
            print("provenance:")
            for (key, value) in provenance.entries.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
        }
        if all && !others.isEmpty {
            print("attributes:")
            for (key, value) in others.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value.count > 200 ? value.prefix(200) + "…" : value)") }
        }
    }
}
