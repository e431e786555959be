import Foundation
import XCTest
@testable import Worker

/// A worker reports the memory its cgroup allows (a container's or a Slurm job's limit), not its host's.
final class MemoryLimitTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("memory-limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    private func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    private let host: UInt64 = 512 << 30

    func testAContainersCgroupV2LimitLowersTheHostsMemory() throws {
        try write("proc/self/cgroup", "0::/\n")
        try write("sys/fs/cgroup/memory.max", "8589934592\n")
        XCTAssertEqual(MemoryLimit.ofThisProcess(physicalMemory: host, root: root.path), 8 << 30)
    }

    func testASlurmJobsCgroupV1LimitLowersTheHostsMemory() throws {
        try write("proc/self/cgroup", "12:pids:/slurm/uid_0/job_7\n4:memory:/slurm/uid_0/job_7/step_0\n0::/\n")
        try write("sys/fs/cgroup/memory/slurm/uid_0/job_7/step_0/memory.limit_in_bytes", "4294967296\n")
        XCTAssertEqual(MemoryLimit.ofThisProcess(physicalMemory: host, root: root.path), 4 << 30)
    }

    func testNoLimitLeavesTheHostsMemory() throws {
        try write("proc/self/cgroup", "4:memory:/\n0::/system.slice/stylefarm-worker.service\n")
        try write("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")   // v1's "unlimited"
        try write("sys/fs/cgroup/system.slice/stylefarm-worker.service/memory.max", "max\n")
        XCTAssertEqual(MemoryLimit.ofThisProcess(physicalMemory: host, root: root.path), host)
        // A limit above the machine's memory changes nothing either; nor does a missing /proc.
        try write("sys/fs/cgroup/system.slice/stylefarm-worker.service/memory.max", "\(host * 2)\n")
        XCTAssertEqual(MemoryLimit.ofThisProcess(physicalMemory: host, root: root.path), host)
        XCTAssertEqual(MemoryLimit.ofThisProcess(physicalMemory: host, root: root.appendingPathComponent("nothing").path), host)
    }
}
