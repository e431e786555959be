import Coordinator
import Foundation
@testable import HTTPAPI
import TestSupport
import XCTest

/// HTTPS (`--http-tls-cert`, `--http-tls-key`): a certificate made by `openssl` for 127.0.0.1, checked by `curl`
/// against that certificate as its only authority — an independent TLS client, not the server's own library.
final class HTTPSTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        for tool in ["openssl", "curl"] { try SystemTool.require(tool, package: tool) }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stylefarm-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { if let directory { try? FileManager.default.removeItem(at: directory) } }

    private func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try SystemTool.run(tool, arguments)
    }

    /// A self-signed P-256 certificate for 127.0.0.1 and its key (mode 0600).
    private func certificate() throws -> HTTPTLS {
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        let made = try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                       "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                                       "-addext", "subjectAltName=IP:127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.output)
        XCTAssertEqual(chmod(key, 0o600), 0)
        return HTTPTLS(certificateChainPath: cert, privateKeyPath: key)
    }

    func testTheAPIAnswersOverTLSToAClientThatTrustsTheCertificate() async throws {
        let tls = try certificate()
        let farm = try await HTTPFarm(tls: tls)
        let token = try farm.token("td", .submitter)
        XCTAssertTrue(farm.base.hasPrefix("https://127.0.0.1:"), farm.base)
        let trusted = try run("curl", ["-sS", "--max-time", "10", "--cacert", tls.certificateChainPath, "-H", "Authorization: Bearer \(token)",
                                       "-w", "\n%{http_code} %{ssl_verify_result}", farm.base + "/api/v1/whoami"])
        XCTAssertEqual(trusted.status, 0, trusted.output)
        XCTAssertTrue(trusted.output.contains(#""name":"td""#), trusted.output)
        XCTAssertTrue(trusted.output.hasSuffix("\n200 0"), "answered, and the certificate verified: \(trusted.output)")
        let untrusted = try run("curl", ["-sS", "--max-time", "10", farm.base + "/api/v1/whoami"])
        XCTAssertEqual(untrusted.status, 60, "a client that does not trust the certificate refuses it: \(untrusted.output)")
        let plain = try run("curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                                     farm.base.replacingOccurrences(of: "https://", with: "http://") + "/healthz"])
        XCTAssertFalse(plain.output.hasPrefix("200"), "plain HTTP gets no answer from the TLS port: \(plain.output)")
        let old = try run("curl", ["-sS", "--max-time", "10", "--cacert", tls.certificateChainPath, "--tlsv1.0", "--tls-max", "1.1",
                                   farm.base + "/healthz"])
        XCTAssertNotEqual(old.status, 0, "TLS 1.0 and 1.1 are refused: \(old.output)")
        await farm.close()
    }

    func testTLSAllowsANetworkAddressAndRefusesBadFilesClearly() async throws {
        let tls = try certificate()
        var open = HTTPAPIServer.Configuration(host: "0.0.0.0", port: 0, tokens: APITokenFile(path: "/nonexistent/http_tokens"))
        XCTAssertThrowsError(try open.check())
        open.tls = tls
        XCTAssertNoThrow(try open.check(), "with TLS a network address may be bound")

        XCTAssertEqual(chmod(tls.privateKeyPath, 0o644), 0)
        do {
            _ = try await HTTPFarm(tls: tls)
            XCTFail("a private key other users may read is refused")
        } catch let error as HTTPAPIError {
            XCTAssertTrue(error.description.contains("readable by other users") && error.description.contains("chmod 600"), error.description)
        }
        XCTAssertEqual(chmod(tls.privateKeyPath, 0o600), 0)
        let garbage = directory.appendingPathComponent("garbage.pem").path
        try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
        do {
            _ = try await HTTPFarm(tls: HTTPTLS(certificateChainPath: garbage, privateKeyPath: tls.privateKeyPath))
            XCTFail("a file that is no certificate is refused")
        } catch let error as HTTPAPIError {
            XCTAssertTrue(error.description.contains("garbage.pem") && error.description.contains("PEM certificate"), error.description)
        }
        do {
            _ = try await HTTPFarm(tls: HTTPTLS(certificateChainPath: tls.certificateChainPath, privateKeyPath: directory.appendingPathComponent("none.pem").path))
            XCTFail("a missing key is refused")
        } catch let error as HTTPAPIError {
            XCTAssertTrue(error.description.contains("none.pem"), error.description)
        }
    }
}
