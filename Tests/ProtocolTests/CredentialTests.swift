import Foundation
import XCTest
@testable import Protocol

/// Credential files: written new with mode 0600, read back equal, refused when others may read them, and
/// every malformed line named.
final class CredentialTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("credential-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func make(role: FarmRole = .submitter) throws -> Credential {
        Credential(name: "alice", role: role, coordinatorKey: try CurveKeyPair.generate().publicKey, keys: try CurveKeyPair.generate())
    }

    func testAWrittenCredentialIsPrivateAndReadsBackEqual() throws {
        let credential = try make()
        let path = directory.appendingPathComponent("alice.credential").path
        try credential.write(to: path)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        XCTAssertEqual(try Credential.read(path: path), credential)
        XCTAssertThrowsError(try credential.write(to: path), "an existing credential must never be replaced")
    }

    func testACredentialOthersCanReadIsRefused() throws {
        let path = directory.appendingPathComponent("open.credential").path
        try make().write(to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        XCTAssertThrowsError(try Credential.read(path: path)) { error in
            XCTAssertEqual(error as? CurveKeyError, .credentialTooOpen(path: path, mode: 0o644))
            XCTAssertTrue("\(error)".contains("chmod 600"))
        }
    }

    /// A Kubernetes Secret volume mounts each key as a symbolic link into `..data/`: the link's own mode (0777)
    /// says nothing; the file it names decides.
    func testALinkIsJudgedByTheFileItNames() throws {
        let credential = try make()
        let target = directory.appendingPathComponent("..data/worker.credential").path
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try credential.write(to: target)
        let link = directory.appendingPathComponent("worker.credential").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "..data/worker.credential")
        XCTAssertEqual(try Credential.read(path: link), credential)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: target)
        XCTAssertThrowsError(try Credential.read(path: link)) { error in
            XCTAssertEqual(error as? CurveKeyError, .credentialTooOpen(path: link, mode: 0o640))
        }
        XCTAssertThrowsError(try Credential.read(path: directory.appendingPathComponent("missing").path)) { error in
            XCTAssertTrue("\(error)".contains("No such file"), "\(error)")
        }
    }

    func testMalformedCredentialsNameTheirLine() throws {
        let good = try make()
        func refusal(_ text: String) -> String {
            do { _ = try Credential.parse(text, path: "c"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(try Credential.parse(good.text, path: "c"), good)
        XCTAssertTrue(refusal(good.text.replacingOccurrences(of: "role: submitter", with: "role: root")).contains("line 3"))
        XCTAssertTrue(refusal(good.text.replacingOccurrences(of: "name: alice", with: "name: a b")).contains("line 2"))
        XCTAssertTrue(refusal(good.text + "extra: 1\n").contains("unknown key"))
        XCTAssertTrue(refusal(good.text + "name: again\n").contains("given twice"))
        let otherPublic = try CurveKeyPair.generate().publicKey
        XCTAssertTrue(refusal(good.text.replacingOccurrences(of: "public: \(good.keys.publicKey)", with: "public: \(otherPublic)"))
            .contains("not the secret key's"))
        XCTAssertTrue(refusal(good.text.replacingOccurrences(of: "secret: ", with: "secret: x")).contains("secret key"))
        XCTAssertTrue(refusal("name: alice\n").contains("no `role` line"))
    }
}
