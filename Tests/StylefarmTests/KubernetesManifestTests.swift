import Foundation
import JobModel
import XCTest

/// Issue 21: the Kustomize base in deploy/kubernetes, checked without a cluster — every resource against the
/// Kubernetes JSON schemas (kubernetes-validate from PyPI, strict: an unknown or misspelt field fails) for the
/// oldest and newest versions a studio is likely to run, and kept true to the product: every flag its pods pass is
/// one `stylefarm` takes today, the worker's preStop is the drain the worker implements, credentials reach the
/// worker mode 0600 as it demands, and the worker's resources follow the tile memory model.
final class KubernetesManifestTests: XCTestCase {
    static var folder: URL { FarmProcesses.repository.appendingPathComponent("deploy/kubernetes") }
    private var farm: FarmProcesses!

    override func setUpWithError() throws { farm = try FarmProcesses() }
    override func tearDown() { farm?.stopAll(); farm = nil }

    private struct Report: Decodable {
        struct Container: Decodable {
            let workload: String, name: String, initContainer: Bool
            let image: String?, command: [String]?, args: [String]
            let resources: [String: [String: String]]
            let preStop: [String]?
            let runAsUser: Int?, grace: Int?
            let mounts: [String: String]
        }
        let listed: [String], present: [String], errors: [String], validated: Int
        let containers: [Container], kinds: [String: String], images: [String]
    }

    private func report() throws -> Report {
        let python = try farm.python("stylefarm-k8s-venv", packages: ["kubernetes-validate==1.37.0"], imports: "kubernetes_validate, yaml")
        let script = FarmProcesses.repository.appendingPathComponent("Tests/StylefarmTests/Python/k8s_manifests.py").path
        let out = farm.directory.appendingPathComponent("k8s.json").path
        let ran = try farm.run("/bin/sh", ["-c", "\"$0\" \"$1\" \"$2\" 1.28.0 1.37.0 > \"$3\"", python, script, Self.folder.path, out], timeout: 300)
        XCTAssertEqual(ran.status, 0, ran.output)
        return try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    }

    func testEveryResourceValidatesAgainstTheKubernetesSchemas() throws {
        let report = try report()
        XCTAssertEqual(report.listed.sorted(), report.present, "kustomization.yaml lists every manifest in the folder, and only those")
        XCTAssertEqual(report.errors, [])
        XCTAssertEqual(report.validated, 2 * report.kinds.count, "each resource against both versions")
        for kind in ["StatefulSet/stylefarm-coordinator", "Service/stylefarm-coordinator", "Deployment/stylefarm-worker",
                     "HorizontalPodAutoscaler/stylefarm-worker", "PersistentVolumeClaim/stylefarm-models"] {
            XCTAssertNotNil(report.kinds[kind], "\(kind) is part of the base")
        }
        XCTAssertEqual(Set(report.containers.compactMap(\.image)), Set(report.images), "every pod runs the image the base names")
    }

    func testThePodsUseTheCLIAsItIsAndTheWorkerDrainsAndGetsItsCredentialPrivate() throws {
        let report = try report()
        var checked = 0
        for container in report.containers where !container.initContainer {
            let command = try XCTUnwrap(container.args.first, container.name)
            let help = try farm.cli([command, "--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            for argument in container.args.dropFirst() {
                let flag = String(argument.split(separator: "=", maxSplits: 1)[0])
                XCTAssertTrue(flag.hasPrefix("--"), "\(container.workload): \(argument)")
                XCTAssertTrue(help.stdout.contains(" \(flag) ") || help.stdout.contains(" \(flag)\n"),
                              "\(container.workload): `stylefarm \(command)` takes no \(flag)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 12)

        let worker = try XCTUnwrap(report.containers.first { $0.workload == "stylefarm-worker" && !$0.initContainer })
        // The preStop signals what `stylefarm worker` drains on, and waits for it to exit.
        let preStop = try XCTUnwrap(worker.preStop).joined(separator: " ")
        XCTAssertTrue(preStop.contains("kill -USR1 1"), preStop)
        XCTAssertTrue(try farm.cli(["worker", "--help"]).stdout.contains("SIGUSR1 drains"))
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(worker.grace), 600, "a drain may take a frame's render")
        // The credential the worker reads is the init container's 0600 copy, on a volume both mount.
        let credential = try XCTUnwrap(worker.args.first { $0.hasPrefix("--credential=") }).dropFirst("--credential=".count)
        let copier = try XCTUnwrap(report.containers.first { $0.workload == "stylefarm-worker" && $0.initContainer })
        let copy = try XCTUnwrap(copier.args.first)
        XCTAssertTrue(copy.contains("install -m 0600") && copy.hasSuffix(String(credential)), copy)
        XCTAssertEqual(copier.mounts["private"], worker.mounts["private"])
        XCTAssertEqual(worker.runAsUser, 10001, "the image's user")
    }

    /// The worker pod's size follows the tile memory model: requests equal limits (a render must not be throttled
    /// or evicted first), and at its memory limit one task's budget allows tiles of at least 512² pixels, the peak
    /// of a stylization at that size staying within the limit.
    func testTheWorkersResourcesFollowTheTileMemoryModel() throws {
        let report = try report()
        let worker = try XCTUnwrap(report.containers.first { $0.workload == "stylefarm-worker" && !$0.initContainer })
        XCTAssertEqual(worker.resources["requests"]?["cpu"], worker.resources["limits"]?["cpu"])
        XCTAssertEqual(worker.resources["requests"]?["memory"], worker.resources["limits"]?["memory"])
        let memory = try XCTUnwrap(worker.resources["limits"]?["memory"])
        XCTAssertTrue(memory.hasSuffix("Gi"), memory)
        let bytes = try XCTUnwrap(Int(memory.dropLast(2))) << 30
        let slots = try XCTUnwrap(worker.args.first { $0.hasPrefix("--slots=") }.flatMap { Int($0.dropFirst("--slots=".count)) })
        let budget = TileMemoryModel.taskBytes(workerMemory: bytes, slots: slots)
        let tile = TileMemoryModel.maxTilePixels(memoryBytes: budget, network: .vgg16)
        XCTAssertGreaterThanOrEqual(tile, 512 * 512, "a \(memory) worker with \(slots) slot(s) renders tiles of \(tile) pixels")
        XCTAssertLessThanOrEqual(slots * TileMemoryModel.peakBytes(pixels: tile, network: .vgg16), bytes)
        print("Kubernetes worker: \(memory), \(slots) slot(s): task budget \(budget) bytes, tiles up to \(tile) pixels")
    }
}
