import Engine
import Foundation
import Protocol
import XCTest
import TestSupport

/// Issue 20: OpenEXR plates through the farm. Plates made by an independent writer (PyPI `OpenEXR`, the Academy
/// Software Foundation's bindings: scene-linear premultiplied RGBA with a transparent corner, a float depth layer,
/// Cryptomatte-style float channels and manifest, a custom attribute, overscan) render to `.exr` outputs, and the
/// same library checks each output against its plate: every other layer and attribute bit for bit, the same alpha,
/// data and display windows, the chosen compression and sample type, nothing where the plate is transparent.
final class FarmEXRTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    private func script() -> String {
        FarmProcesses.repository.appendingPathComponent("Tests/StylefarmTests/Python/exr_plates.py").path
    }

    /// Checks `output` against `plate` with the independent reader; returns its report.
    private func check(plate: String, output: String, python: String, float: Bool, compression: String) throws -> [String: Any] {
        let result = try farm.run(python, [script(), "check", plate, output], timeout: 120)
        XCTAssertEqual(result.status, 0, result.output)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        let name = (output as NSString).lastPathComponent
        XCTAssertEqual(report["channels"] as? [String], report["plate_channels"] as? [String], "\(name): the plate's channels")
        let identical = try XCTUnwrap(report["identical"] as? [String: Bool])
        XCTAssertEqual(Set(identical.keys), ["depth.Z", "CryptoObject00.R", "CryptoObject00.G", "CryptoObject00.B", "CryptoObject00.A"])
        XCTAssertTrue(identical.values.allSatisfy { $0 }, "\(name): passed-through layers bit for bit: \(identical)")
        let attributes = try XCTUnwrap(report["attributes"] as? [String: Bool])
        XCTAssertEqual(attributes.count, 3)
        XCTAssertTrue(attributes.values.allSatisfy { $0 }, "\(name): the plate's attributes: \(attributes)")
        XCTAssertEqual(report["data_window"] as? [[Int]], report["plate_data_window"] as? [[Int]], "\(name): overscan kept")
        XCTAssertEqual(report["display_window"] as? [[Int]], [[0, 0], [63, 39]])
        XCTAssertEqual(report["compression"] as? String, "Compression.\(compression.uppercased())_COMPRESSION")
        XCTAssertEqual(report["rgb_dtype"] as? String, float ? "float32" : "float16")
        XCTAssertEqual(report["alpha_same"] as? Bool, true, "\(name): the plate's alpha")
        XCTAssertGreaterThan(try XCTUnwrap(report["rgb_mean_change"] as? Double), 0.01, "\(name): the colour layer is stylized")
        XCTAssertEqual(try XCTUnwrap(report["transparent_rgb_max"] as? Double), 0, "\(name): premultiplied: no colour where alpha is 0")
        return report
    }

    func testOpenEXRPlatesRenderToOpenEXRWithEveryOtherLayerKept() throws {
        let python = try farm.python("stylefarm-openexr-venv", packages: ["OpenEXR>=3.2,<4", "numpy"], imports: "OpenEXR, numpy")
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        let made = try farm.run(python, [script(), "make", plates.path, "3", "64", "40"], timeout: 120)
        XCTAssertEqual(made.status, 0, made.output)
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let style = try DemoImages.painting
        let engine = ["--size", "64", "--iterations", "10", "--seed", "5"]

        // Shared filesystem, independent frames, the default half samples and ZIP.
        let shared = farm.directory.appendingPathComponent("shared").path
        let first = try farm.cli(["submit", "--name", "plates", "--content", plates.path + "/plate.####.exr", "--frames", "1-3",
                                  "--style", style, "--output-dir", shared, "--output", "styled.####.exr",
                                  "--coordinator", farm.clientEndpoint, "--watch"] + engine, timeout: 300)
        XCTAssertEqual(first.status, 0, first.stderr + farm.logs)
        for frame in 1...3 {
            let report = try check(plate: plates.path + String(format: "/plate.%04d.exr", frame),
                                   output: shared + String(format: "/styled.%04d.exr", frame), python: python, float: false, compression: "zip")
            let provenance = try XCTUnwrap(report["provenance"] as? [String: String])
            XCTAssertEqual(provenance["stylefarm/frame"], "\(frame)", "\(provenance)")
        }
        // The farm's frame is `stylize`'s with the same parameters and thread count (its stylized layer, sample for
        // sample; the provenance differs).
        let reference = farm.directory.appendingPathComponent("reference.exr").path
        let stylized = try farm.cli(["stylize", "--content", plates.path + "/plate.0002.exr", "--style", style, "--out", reference,
                                     "--threads", "1"] + engine)
        XCTAssertEqual(stylized.status, 0, stylized.stderr)
        XCTAssertEqual(try OpenEXR.read(path: shared + "/styled.0002.exr").image, try OpenEXR.read(path: reference).image)
        _ = try check(plate: plates.path + "/plate.0002.exr", output: reference, python: python, float: false, compression: "zip")

        // The frame says how it was made, and `verify` renders it again from that alone: the same bytes. A frame whose
        // pixels were changed afterwards differs; one whose content changed since cannot be verified.
        let inspected = try farm.cli(["inspect", shared + "/styled.0002.exr"])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        for line in ["format: OpenEXR", "data window: (-2, -2)-(63, 39)", "frame: 2", "threads: 1", "content-path: " + plates.path + "/plate.0002.exr"] {
            XCTAssertTrue(inspected.stdout.contains(line), "\(line) in \(inspected.stdout)")
        }
        let verified = try farm.cli(["verify", shared + "/styled.0002.exr"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("identical bytes"), verified.stdout)
        let tampered = farm.directory.appendingPathComponent("tampered.exr").path
        let original = try FileBytes.readFile(path: shared + "/styled.0002.exr", maxBytes: 1 << 26)
        var pixels = try OpenEXR.decode(bytes: original).overscan!.toRGBA().pixels
        pixels[4 * (10 * 66 + 10)] += 0.25
        try FileBytes.writeAtomically(try OpenEXR.replacingLayer(in: original, layer: nil, with: Image(width: 66, height: 42, channels: 4, pixels: pixels),
                                                                 attributes: [:]), to: tampered)
        let differs = try farm.cli(["verify", tampered])
        XCTAssertEqual(differs.status, 1, differs.stdout + differs.stderr)
        XCTAssertTrue(differs.stdout.contains("differs: 1 of"), differs.stdout)

        // Blob mode (plates and results over the sockets), sequential temporal consistency, float samples, PIZ: the
        // neighbours' OpenEXR results go back into working space on the workers, and the coordinator measures the warp
        // error from the OpenEXR outputs.
        let blob = farm.directory.appendingPathComponent("blob").path
        let second = try farm.cli(["submit", "--name", "platesb", "--content", plates.path + "/plate.####.exr", "--frames", "1-3",
                                   "--style", style, "--output-dir", blob, "--output", "b.####.exr", "--exr-float",
                                   "--exr-compression", "piz", "--temporal", "sequential", "--no-shared-filesystem",
                                   "--coordinator", farm.clientEndpoint, "--watch"] + engine, timeout: 300)
        XCTAssertEqual(second.status, 0, second.stderr + farm.logs)
        for frame in 1...3 {
            _ = try check(plate: plates.path + String(format: "/plate.%04d.exr", frame),
                          output: blob + String(format: "/b.%04d.exr", frame), python: python, float: true, compression: "piz")
        }
        let sequential = try farm.cli(["verify", blob + "/b.0002.exr"])
        XCTAssertEqual(sequential.status, 2)
        XCTAssertTrue(sequential.stderr.contains("temporal strategy"), sequential.stderr)
        let jobID = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let status = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 30) { $0.frames.dropFirst().allSatisfy(\.hasWarpError) }, farm.logs)
        for frame in status.frames.dropFirst() {
            XCTAssertTrue(frame.warpError.isFinite && frame.warpError > 0, "frame \(frame.frameNumber): warp error \(frame.warpError)")
        }

        // A lossy compression that would change the passed-through layers is refused, naming one.
        let lossy = try farm.cli(["stylize", "--content", plates.path + "/plate.0001.exr", "--style", style, "--out",
                                  farm.directory.appendingPathComponent("lossy.exr").path, "--exr-compression", "dwaa"] + engine)
        XCTAssertNotEqual(lossy.status, 0)
        XCTAssertTrue(lossy.stderr.contains("CryptoObject00"), lossy.stderr)
    }

    /// A multi-part plate as Nuke writes one (a part per layer; the colour in part "beauty", not the first): the
    /// beauty part is stylized and every other part — scanline, tiled, Cryptomatte with its manifest — comes back
    /// chunk for chunk, checked by PyPI `OpenEXR`.
    func testAMultiPartPlateKeepsEveryOtherPart() throws {
        let python = try farm.python("stylefarm-openexr-venv", packages: ["OpenEXR>=3.2,<4", "numpy"], imports: "OpenEXR, numpy")
        let plate = farm.directory.appendingPathComponent("multipart.exr").path
        let made = try farm.run(python, [script(), "make-multipart", plate, "64", "40"], timeout: 120)
        XCTAssertEqual(made.status, 0, made.output)
        let inspected = try farm.cli(["inspect", plate])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertTrue(inspected.stdout.contains("parts: 4"), inspected.stdout)
        XCTAssertTrue(inspected.stdout.contains("depth.Z") && inspected.stdout.contains("CryptoObject00.R"), inspected.stdout)
        let style = try DemoImages.painting
        for (name, layer) in [("unnamed", [String]()), ("named", ["--layer", "beauty"])] {
            let output = farm.directory.appendingPathComponent("multipart-\(name).exr").path
            let stylized = try farm.cli(["stylize", "--content", plate, "--style", style, "--out", output, "--size", "64",
                                         "--iterations", "6", "--threads", "1"] + layer)
            XCTAssertEqual(stylized.status, 0, stylized.stderr)
            let result = try farm.run(python, [script(), "check-multipart", plate, output], timeout: 120)
            XCTAssertEqual(result.status, 0, result.output)
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
            XCTAssertEqual(report["parts"] as? [String], ["diffuse", "beauty", "depth", "crypto"], "\(name): the parts in order")
            let identical = try XCTUnwrap(report["identical"] as? [String: Bool])
            XCTAssertEqual(identical.count, 8, "\(identical)")
            XCTAssertTrue(identical.values.allSatisfy { $0 }, "\(name): every other part bit for bit: \(identical)")
            let attributes = try XCTUnwrap(report["attributes"] as? [String: Bool])
            XCTAssertTrue(attributes.keys.contains("crypto:cryptomatte/0a1b2c3/manifest") && attributes.keys.contains("depth:tiles"), "\(attributes)")
            XCTAssertTrue(attributes.values.allSatisfy { $0 }, "\(name): their headers: \(attributes)")
            XCTAssertGreaterThan(try XCTUnwrap(report["beauty_change"] as? Double), 0.01, "\(name): the beauty part is stylized")
            XCTAssertEqual(report["beauty_alpha_same"] as? Bool, true)
            XCTAssertEqual(report["beauty_studio_shot"] as? String, "mp010", "the stylized part keeps its own header")
            XCTAssertEqual(report["provenance_frame"] as? String, plate, "provenance in the stylized part's header")
        }
    }
}
