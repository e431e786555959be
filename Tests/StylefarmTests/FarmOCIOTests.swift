import Engine
import Foundation
import XCTest
import TestSupport

/// Issue 20: plates in a colour space of a studio's OpenColorIO config, on the farm. The config is the built-in ACES
/// CG config as PyPI OpenColorIO writes it out; the coordinator bakes the conversion at submit and the workers render
/// with what it sent them — the config is moved away while they work. Nothing stylized comes back as the plate to
/// float precision, the frames record the config and the conversion, and `verify` bakes again and renders the same bytes.
final class FarmOCIOTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    /// Three 64×40 ACEScg plates: a gradient with a moving highlight (to 6), inside the Rec.709 gamut, opaque.
    private func makePlates(in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for frame in 1...3 {
            var pixels: [Float] = []
            for y in 0..<40 {
                for x in 0..<64 {
                    let dx = Double(x - 20 - 6 * frame), dy = Double(y - 20)
                    let v = 0.05 + 0.6 * Double(x) / 63 + 6 * exp(-(dx * dx + dy * dy) / 40)
                    pixels += [Float(v), Float(0.8 * v + 0.05 * Double(y) / 39), Float(0.7 * v), 1]
                }
            }
            let image = Image(width: 64, height: 40, channels: 4, pixels: pixels, bitDepth: 16)
            try FileBytes.writeAtomically(try OpenEXR.encode(image, half: false, compression: .zip, name: "plate"),
                                          to: directory.appendingPathComponent(String(format: "plate.%04d.exr", frame)).path)
        }
    }

    func testPlatesInAConfigSpaceRenderWithTheConversionTheCoordinatorBaked() throws {
        let python = try farm.python("stylefarm-ocio-venv", packages: ["opencolorio>=2.2,<3"], imports: "PyOpenColorIO")
        let config = farm.directory.appendingPathComponent("cg-config.ocio").path
        let script = FarmProcesses.repository.appendingPathComponent("Tests/StylefarmTests/Python/ocio_convert.py").path
        let written = try farm.run("/bin/sh", ["-c", "echo '{\"values\": []}' | \(python) \(script) config \(config)"], timeout: 120)
        XCTAssertEqual(written.status, 0, written.output)
        let plates = farm.directory.appendingPathComponent("plates")
        try makePlates(in: plates)
        try farm.startCoordinator(extra: ["--threads", "1"])
        try farm.startWorker("a")
        try farm.startWorker("b")
        let style = try DemoImages.painting
        let out = farm.directory.appendingPathComponent("out").path
        func submit(_ name: String, _ extra: [String], watch: Bool = true) throws -> CLIRunner.Result {
            try farm.cli(["submit", "--name", name, "--content", plates.path + "/plate.####.exr", "--frames", "1-3", "--style", style,
                          "--output-dir", out, "--output", name + ".####.exr", "--exr-float", "--size", "64", "--seed", "3",
                          "--coordinator", farm.clientEndpoint] + (watch ? ["--watch"] : []) + extra, timeout: 300)
        }

        // No evaluations: every plate comes back through the baked conversion and its inverse as it was. The config is
        // gone while the workers render: they never read it.
        let identity = try submit("identity", ["--ocio-config", config, "--input-colorspace", "ACEScg", "--iterations", "0"], watch: false)
        XCTAssertEqual(identity.status, 0, identity.stderr + farm.logs)
        let moved = config + ".moved"
        try FileManager.default.moveItem(atPath: config, toPath: moved)
        let jobID = identity.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let finished = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 120) { $0.job.state == .completed || $0.job.state == .failed }, farm.logs)
        XCTAssertEqual(finished.job.state, .completed, farm.logs)
        try FileManager.default.moveItem(atPath: moved, toPath: config)
        var largest: Float = 0
        for frame in 1...3 {
            let plate = try OpenEXR.read(path: plates.path + String(format: "/plate.%04d.exr", frame)).image
            let back = try OpenEXR.read(path: out + String(format: "/identity.%04d.exr", frame)).image
            XCTAssertEqual(back.channels, 4)
            for i in plate.pixels.indices { largest = max(largest, abs(back.pixels[i] - plate.pixels[i]) / max(1, abs(plate.pixels[i]))) }
        }
        // Relative 1e-5 of OpenColorIO's 32-bit float matrices, and the working space's 32-bit floats, whose rounding
        // the roll-off's slope near white magnifies for the highlight (to 6.3).
        XCTAssertLessThan(largest, 5e-5, "the plates' own values after the conversion and its inverse")

        // A stylized render through the config. (Not compared with a built-in ACEScg render: the two conversions agree
        // to 2e-6 in working space — EngineTests' OpenColorIOTests — but L-BFGS magnifies differences that small into
        // another path within a few evaluations.)
        let viaConfig = try submit("config", ["--ocio-config", config, "--input-colorspace", "ACEScg", "--iterations", "8"])
        XCTAssertEqual(viaConfig.status, 0, viaConfig.stderr + farm.logs)
        var changed = 0.0, samples = 0
        for frame in 1...3 {
            func working(_ path: String) throws -> [Float] { try Plate.read(path: path, colorSpace: .acescg).working.pixels }
            let plate = try working(plates.path + String(format: "/plate.%04d.exr", frame))
            let styled = try working(out + String(format: "/config.%04d.exr", frame))
            for i in styled.indices { changed += Double(abs(styled[i] - plate[i])) }
            samples += styled.count
        }
        XCTAssertGreaterThan(changed / Double(samples), 0.02, "stylized (mean working-space change)")

        let inspected = try farm.cli(["inspect", out + "/config.0002.exr"])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        for line in ["input-colorspace: ACEScg", "ocio-config: " + config, "ocio-conversion: "] {
            XCTAssertTrue(inspected.stdout.contains(line), "\(line) in \(inspected.stdout)")
        }
        let verified = try farm.cli(["verify", out + "/config.0002.exr"])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("identical bytes"), verified.stdout)

        // A name the config does not have is refused at submit, listing what it has; so is a config without the
        // aces_interchange role that StyleFarm reaches its working space through.
        let unknown = try submit("unknown", ["--ocio-config", config, "--input-colorspace", "Rec.2020 Scene"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("Rec.2020 Scene") && unknown.stderr.contains("ACEScct"), unknown.stderr)
        let stripped = farm.directory.appendingPathComponent("stripped.ocio").path
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "aces_interchange:", with: "aces_unused:")
            .write(toFile: stripped, atomically: true, encoding: .utf8)
        let noRole = try submit("norole", ["--ocio-config", stripped, "--input-colorspace", "ACEScg"])
        XCTAssertNotEqual(noRole.status, 0)
        XCTAssertTrue(noRole.stderr.contains("aces_interchange"), noRole.stderr)
    }
}
