import Foundation
import Protocol
import XCTest
@testable import Coordinator

/// `ZAPPolicy` (ZeroMQ RFC 27) and `AuthorizedKeys`, without sockets.
final class ZAPPolicyTests: XCTestCase {
    private let worker = try! CurveKeyPair.generate()
    private let submitter = try! CurveKeyPair.generate()

    private var keys: AuthorizedKeys {
        AuthorizedKeys([.init(role: .worker, publicKey: worker.publicKey, name: "render-07"),
                        .init(role: .submitter, publicKey: submitter.publicKey, name: "alice")])
    }

    private func request(domain: String, key: CurveKeyPair?, mechanism: String = "CURVE", id: String = "42") -> [Data] {
        [Data("1.0".utf8), Data(id.utf8), Data(domain.utf8), Data("10.0.0.7".utf8), Data(), Data(mechanism.utf8)]
            + (key.map { [CurveKeyPair.binary($0.publicKey)!] } ?? [])
    }

    func testAKeyIsLetInOnlyOnItsRolesChannel() {
        let ok = ZAPPolicy.decide(request(domain: FarmRole.workerDomain, key: worker), keys: keys)
        XCTAssertEqual(ok, ZAPPolicy.Reply(requestID: Data("42".utf8), statusCode: "200", statusText: "OK", userID: "worker:render-07"))
        XCTAssertEqual(ok.frames.count, 6)
        XCTAssertEqual(ok.frames[0], Data("1.0".utf8))
        XCTAssertEqual(ZAPPolicy.decide(request(domain: FarmRole.clientDomain, key: submitter), keys: keys).userID, "submitter:alice")

        let workerAsClient = ZAPPolicy.decide(request(domain: FarmRole.clientDomain, key: worker), keys: keys)
        XCTAssertEqual(workerAsClient.statusCode, "400")
        XCTAssertTrue(workerAsClient.statusText.contains("render-07") && workerAsClient.statusText.contains("client channel"),
                      workerAsClient.statusText)
        XCTAssertEqual(ZAPPolicy.decide(request(domain: FarmRole.workerDomain, key: submitter), keys: keys).statusCode, "400")
    }

    func testUnknownKeysOtherMechanismsAndBadRequestsAreRefused() throws {
        let stranger = try CurveKeyPair.generate()
        let unknown = ZAPPolicy.decide(request(domain: FarmRole.workerDomain, key: stranger), keys: keys)
        XCTAssertEqual(unknown.statusCode, "400")
        XCTAssertTrue(unknown.statusText.contains(stranger.publicKey), "the refusal names the key, for the operator's log")
        XCTAssertEqual(ZAPPolicy.decide(request(domain: FarmRole.workerDomain, key: nil, mechanism: "NULL"), keys: keys).statusCode, "400")
        XCTAssertEqual(ZAPPolicy.decide(request(domain: "other", key: worker), keys: keys).statusCode, "400")
        var short = request(domain: FarmRole.workerDomain, key: worker)
        short[6] = Data(repeating: 1, count: 31)
        XCTAssertEqual(ZAPPolicy.decide(short, keys: keys).statusCode, "400")
        let garbage = ZAPPolicy.decide([Data("2.0".utf8), Data("9".utf8)], keys: keys)
        XCTAssertEqual(garbage.statusCode, "500")
        XCTAssertEqual(garbage.requestID, Data("9".utf8), "even a bad request is answered with its id")
        XCTAssertEqual(ZAPPolicy.decide([], keys: keys).statusCode, "500")
    }

    func testTheAuthorizedListSkipsBadLinesAndRoundTrips() throws {
        let text = """
            # comment
            worker \(worker.publicKey) render-07
            admin notakey boss
            king \(submitter.publicKey) x
            submitter \(submitter.publicKey) alice
            submitter \(submitter.publicKey) alice-again
            worker \(worker.publicKey)

            """
        let (parsed, problems) = AuthorizedKeys.parse(text)
        XCTAssertEqual(parsed.entries.map(\.name), ["render-07", "alice"])
        XCTAssertEqual(problems.count, 4, problems.joined(separator: "\n"))
        XCTAssertEqual(AuthorizedKeys.parse(parsed.text).keys, parsed)
        var edited = parsed
        XCTAssertEqual(edited.remove(named: "alice"), 1)
        XCTAssertNil(edited.entry(forKey: submitter.publicKey))
        XCTAssertEqual(edited.entry(forKey: worker.publicKey)?.role, .worker)
    }

    func testZ85KeysRoundTripAndBadOnesAreRefused() throws {
        let pair = try CurveKeyPair.generate()
        XCTAssertEqual(try CurveKeyPair(secretKey: pair.secretKey), pair)
        XCTAssertEqual(CurveKeyPair.z85(try XCTUnwrap(CurveKeyPair.binary(pair.publicKey))), pair.publicKey)
        for bad in ["", String(pair.publicKey.dropLast()), pair.publicKey + "x", String(repeating: "~", count: 40)] {
            XCTAssertFalse(CurveKeyPair.isKey(bad), bad)
        }
        XCTAssertNil(CurveKeyPair.z85(Data(count: 31)))
    }

    func testTheClientIdentityComesFromTheZAPUserID() {
        XCTAssertEqual(ClientIdentity(userID: "submitter:alice"), ClientIdentity(role: .submitter, name: "alice"))
        XCTAssertEqual(ClientIdentity(userID: "admin:wrangler").role, .admin)
        XCTAssertEqual(ClientIdentity(userID: nil), .unauthenticated, "no CurveZMQ: everything, as before keys")
        XCTAssertEqual(ClientIdentity(userID: "nonsense").role, .viewer, "an id that does not parse gets the least")
        XCTAssertEqual(ClientIdentity(userID: "viewer:monitor"), ClientIdentity(role: .viewer, name: "monitor"))
        let alice = ClientIdentity(role: .submitter, name: "alice")
        XCTAssertTrue(alice.maySee(jobOwnedBy: "alice"))
        XCTAssertFalse(alice.maySee(jobOwnedBy: "bob"))
        XCTAssertFalse(alice.maySee(jobOwnedBy: ""), "a job submitted without a key is not a submitter's")
        XCTAssertTrue(alice.mayChange)
        XCTAssertTrue(ClientIdentity(role: .admin, name: "w").maySee(jobOwnedBy: "bob"))
        let monitor = ClientIdentity(role: .viewer, name: "monitor")
        XCTAssertTrue(monitor.maySee(jobOwnedBy: "bob"), "a viewer reads every job")
        XCTAssertFalse(monitor.mayChange, "and changes none")
        XCTAssertTrue(ClientIdentity.onlyReads(.jobStatus(.init())))
        XCTAssertFalse(ClientIdentity.onlyReads(.cancelJob(.init())))
        XCTAssertFalse(ClientIdentity.onlyReads(.uploadQuery(.init())))
    }
}
