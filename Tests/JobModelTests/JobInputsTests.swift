import Engine
import XCTest
@testable import JobModel

/// A job's input files (what the path policy checks and `submit --upload` sends) and the same job moved
/// into a checkout (`relocatingInputs`, `CheckoutLayout`).
final class JobInputsTests: XCTestCase {
    private func regionJob() throws -> ResolvedJob {
        try JobSpec(name: "r", content: "/p/c.####.png", frames: "1-3", styles: ["/s/a.png", "/s/b.png"], outputDir: "/out",
                    segment: "matte:/m/matte.%04d.png", regions: ["foreground=/s/wave.png", "background=/s/a.png"])
            .resolve(baseDirectory: "/w")
    }

    func testEveryFileAJobReadsIsListedOnceInOrder() throws {
        XCTAssertEqual(try regionJob().inputFiles, [
            "/p/c.0001.png", "/p/c.0002.png", "/p/c.0003.png",
            "/s/a.png", "/s/b.png", "/s/wave.png",
            "/m/matte.0001.png", "/m/matte.0002.png", "/m/matte.0003.png",
        ])
        // One matte for every frame is listed once; network masks read no file.
        let single = try JobSpec(name: "r", content: "/p/c.####.png", frames: "1-2", styles: ["/s.png"], outputDir: "/o",
                                 segment: "matte:/m.png", regions: ["foreground=none"]).resolve(baseDirectory: "/")
        XCTAssertEqual(single.inputFiles, ["/p/c.0001.png", "/p/c.0002.png", "/s.png", "/m.png"])
        let network = try JobSpec(name: "r", content: "/p/c.####.png", frames: "1", styles: ["/s.png"], outputDir: "/o",
                                  segment: "selfie", regions: ["person=none"]).resolve(baseDirectory: "/")
        XCTAssertEqual(network.inputFiles, ["/p/c.0001.png", "/s.png"])
    }

    func testARelocatedJobReadsTheSameFilesUnderTheCheckoutAndWritesWhereItDid() throws {
        let job = try regionJob()
        let moved = try job.relocatingInputs(under: "/state/uploads/checkouts/key-alice/0123/")
        XCTAssertEqual(moved.inputFiles, job.inputFiles.map { "/state/uploads/checkouts/key-alice/0123" + $0 })
        XCTAssertEqual(moved.output, job.output)
        XCTAssertEqual(moved.outputDirectory, job.outputDirectory)
        XCTAssertEqual(moved.content?.placeholder, "####", "a pattern stays a pattern")
        XCTAssertEqual(moved.regions?.source, .matte(path: "/state/uploads/checkouts/key-alice/0123/m/matte.%04d.png"))
        var back = moved
        back.content = job.content; back.styles = job.styles; back.regions = job.regions
        XCTAssertEqual(back, job, "nothing else changed")
    }

    func testCheckoutPathsMayNotLeaveTheCheckout() throws {
        XCTAssertEqual(CheckoutLayout.relativePath(of: "//plates/a.png"), "plates/a.png")
        XCTAssertEqual(try CheckoutLayout.components(of: "plates/shot 10/a%_0001.png"), ["plates", "shot 10", "a%_0001.png"])
        for bad in ["", "/abs", "a/../b", "..", "./a", "a//b", "a/", "a\u{0}b", String(repeating: "x/", count: 2049) + "x",
                    String(repeating: "y", count: 256)] {
            XCTAssertThrowsError(try CheckoutLayout.components(of: bad), bad.debugDescription)
        }
        XCTAssertTrue(CheckoutLayout.isUsableRoot("/var/lib/stylefarm/uploads/checkouts/key-a/01"))
        for bad in ["relative/root", "/state#1/x", "/state/100%/x", "/state/$F/x"] { XCTAssertFalse(CheckoutLayout.isUsableRoot(bad), bad) }
    }
}
