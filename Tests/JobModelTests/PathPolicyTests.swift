import Foundation
import XCTest
@testable import JobModel

/// `PathPolicy`: a path counts by where it really is; reads only of regular files; nothing under /proc,
/// /sys or /dev; roots that do not exist are refused.
final class PathPolicyTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("path-policy-\(UUID().uuidString)")
        for folder in ["plates", "renders", "secret"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try Data("p".utf8).write(to: root.appendingPathComponent("plates/f.0001.png"))
        try Data("s".utf8).write(to: root.appendingPathComponent("secret/key"))
        // A link inside the allowed folder to a file outside it, and a FIFO inside it.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("plates/link.png").path,
                                                   withDestinationPath: root.appendingPathComponent("secret/key").path)
        XCTAssertEqual(mkfifo(root.appendingPathComponent("plates/fifo.png").path, 0o600), 0)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    private func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    private func refusal(_ policy: PathPolicy, _ path: String, _ access: PathPolicy.Access) -> PathPolicyError? {
        do { try policy.check(path, for: access); return nil } catch { return error as? PathPolicyError }
    }

    func testReadsAndWritesStayInsideTheirRootsWhereverLinksAndDotsPoint() throws {
        let policy = try PathPolicy(readRoots: [path("plates")], writeRoots: [path("renders")])
        XCTAssertNil(refusal(policy, path("plates/f.0001.png"), .read))
        XCTAssertNil(refusal(policy, path("renders/shot/f.0001.png"), .write), "a folder that does not exist yet, under a root")
        guard case .outside(_, let resolved, .read, _)? = refusal(policy, path("plates/link.png"), .read) else {
            return XCTFail("a link out of the root was followed")
        }
        XCTAssertTrue(resolved.hasSuffix("/secret/key"), resolved)
        XCTAssertNotNil(refusal(policy, path("plates/../secret/key"), .read))
        XCTAssertNotNil(refusal(policy, path("renders/../secret/new.png"), .write))
        XCTAssertNotNil(refusal(policy, path("plates/f.0001.png"), .write), "read roots do not allow writing")
        XCTAssertTrue("\(refusal(policy, path("secret/key"), .read)!)".contains("--allow-read"))
        // A folder whose name only starts like a root's is not inside it.
        try FileManager.default.createDirectory(atPath: path("plates-evil"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("plates-evil/f.png")))
        XCTAssertNotNil(refusal(policy, path("plates-evil/f.png"), .read))
    }

    func testSpecialFilesAndSystemFoldersAreRefusedEvenWithoutRoots() {
        let open = PathPolicy.unrestricted
        XCTAssertNil(refusal(open, path("secret/key"), .read))
        XCTAssertEqual(refusal(open, path("plates/fifo.png"), .read), .notRegularFile(path: path("plates/fifo.png"), kind: "a FIFO"))
        XCTAssertEqual(refusal(open, "/dev/zero", .read), .systemPath(path: "/dev/zero", resolved: "/dev/zero"))
        XCTAssertNotNil(refusal(open, "/proc/self/environ", .read))
        XCTAssertNotNil(refusal(open, "/sys/kernel/x.png", .write))
        XCTAssertEqual(refusal(open, path("plates"), .read), .notRegularFile(path: path("plates"), kind: "a folder"))
        XCTAssertEqual(refusal(open, path("plates/missing.png"), .read), .unreadable(path("plates/missing.png")))
    }

    func testARootMustBeAnExistingFolder() {
        XCTAssertThrowsError(try PathPolicy(readRoots: [path("nope")], writeRoots: nil)) {
            XCTAssertEqual($0 as? PathPolicyError, .badRoot(path("nope")))
        }
        XCTAssertThrowsError(try PathPolicy(readRoots: nil, writeRoots: [path("secret/key")]))
    }
}
