import Coordinator
import Engine
import Foundation
import Protocol
import XCTest
import TestSupport

/// `stylefarm submit --upload` with real processes on 127.0.0.1 (issue 17): a coordinator whose
/// `--allow-read` does not cover the job's files refuses the job as it stands, renders it once its files were
/// uploaded — byte-identical to `stylefarm stylize` — sends nothing the second time, and keeps one key's
/// checkout out of another key's jobs.
final class FarmUploadTests: XCTestCase {
    private var farm: FarmProcesses!

    override func setUpWithError() throws {
        try InstalledModels.requireVGG16()
        farm = try FarmProcesses()
    }

    override func tearDown() { farm?.stopAll() }

    private func credential(_ name: String) throws -> String {
        let path = farm.directory.appendingPathComponent("\(name).credential").path
        let made = try CLIRunner.run(["keys", "create", "--name", name, "--role", "submitter", "--out", path,
                                      "--state-dir", farm.stateDirectory.path], timeout: 30)
        XCTAssertEqual(made.status, 0, made.stderr)
        return path
    }

    func testUploadedFramesRenderByteIdenticalToStylizeAndAreSentOnce() throws {
        let photo = try ImageReader.read(path: try DemoImages.portrait)
        let style = try DemoImages.painting
        let plates = farm.directory.appendingPathComponent("artist-disk/plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for i in 0..<3 {
            let frame = try photo.cropped(x: 30 * i, y: 40, width: 360, height: 400)
            try ImageWriter.writePNG(frame, to: plates.appendingPathComponent(String(format: "plate.%04d.png", i + 1)).path)
        }
        let readable = farm.directory.appendingPathComponent("coordinator-readable")
        let renders = farm.directory.appendingPathComponent("renders")
        for folder in [readable, renders] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let alice = try credential("alice"), bob = try credential("bob")
        try farm.startCoordinator(extra: ["--threads", "1", "--allow-read", readable.path, "--allow-write", renders.path])
        try farm.startWorker("a")

        let engineFlags = ["--size", "48", "--iterations", "8", "--init", "noise", "--seed", "3"]
        func submit(_ name: String, _ extra: [String], as credential: String, content: String? = nil) throws -> CLIRunner.Result {
            try CLIRunner.run(["submit", "--name", name, "--content", content ?? plates.path + "/plate.####.png", "--frames", "1-3",
                               "--style", style, "--output-dir", renders.appendingPathComponent(name).path,
                               "--coordinator", farm.clientEndpoint, "--credential", credential] + engineFlags + extra,
                              environment: [Credential.environmentVariable: ""], timeout: 300)
        }

        let refused = try submit("shared-paths", [], as: alice)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("permission denied") && refused.stderr.contains("--allow-read"), refused.stderr)

        let uploaded = try submit("uploaded", ["--upload", "--watch"], as: alice)
        XCTAssertEqual(uploaded.status, 0, uploaded.stderr + farm.logs)
        XCTAssertTrue(uploaded.stderr.contains("uploaded 4 of 4 distinct file(s)"), uploaded.stderr)
        XCTAssertTrue(uploaded.stderr.contains("3/3 frames"), uploaded.stderr)
        for i in 1...3 {
            let reference = farm.directory.appendingPathComponent("reference.\(i).png").path
            let stylized = try farm.cli(["stylize", "--content", plates.path + String(format: "/plate.%04d.png", i),
                                         "--style", style, "--out", reference, "--threads", "1"] + engineFlags)
            XCTAssertEqual(stylized.status, 0, stylized.stderr)
            let farmBytes = try Data(contentsOf: renders.appendingPathComponent(String(format: "uploaded/uploaded.%04d.png", i)))
            XCTAssertEqual(try PNGText.removingText(from: [UInt8](farmBytes)), try RenderedFile.imageBytes(reference),
                           "frame \(i) (the image; the provenance text differs)")
        }

        // The same files again: nothing travels.
        let again = try submit("again", ["--upload"], as: alice)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("uploaded 0 of 4 distinct file(s)"), again.stderr)

        // bob names alice's checkout: outside what his jobs may read.
        let root = try XCTUnwrap(uploaded.stderr.components(separatedBy: " into ").last?.split(separator: "\n").first.map(String.init))
        let peeking = try submit("peeking", [], as: bob, content: root + plates.path + "/plate.####.png")
        XCTAssertNotEqual(peeking.status, 0)
        XCTAssertTrue(peeking.stderr.contains("permission denied"), peeking.stderr)
    }
}
