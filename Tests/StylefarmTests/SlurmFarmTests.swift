import Engine
import Foundation
import Protocol
import XCTest
import TestSupport

/// Issue 21: the farm on a real Slurm — Debian's slurm-wlm 22.05 and munge, a single-node cluster this test starts
/// (slurmctld and slurmd on 127.0.0.1, its own ports, config and spool under a temporary folder) and stops.
/// `deploy/slurm/stylefarm-farm.sbatch` runs a coordinator and a worker per node for the allocation, submits a job
/// spec, watches it to the end and shuts the farm down cleanly (the worker stops on SIGTERM, no process is left);
/// `deploy/slurm/stylefarm-workers.sbatch` as a job array lends workers to a standing coordinator until `scancel`.
/// Needs root (the daemons) and the packages; skips saying so otherwise.
final class SlurmFarmTests: XCTestCase {
    private var farm: FarmProcesses!
    private var cluster: SlurmCluster?

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("a test Slurm cluster's daemons run as root; run the suite as root") }
        for tool in ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (Debian: apt-get install slurm-wlm munge; scripts/test.sh installs them)")
        }
        farm = try FarmProcesses()
        cluster = try SlurmCluster(directory: farm.directory.appendingPathComponent("slurm"), farm: farm)
    }

    override func tearDown() {
        cluster?.stop()
        farm?.stopAll()
    }

    /// Echo plates (their outputs are the plates, byte for byte: what travelled is checked, in seconds).
    private func writePlates(_ count: Int) throws -> URL {
        let plates = farm.directory.appendingPathComponent("plates")
        try FileManager.default.createDirectory(at: plates, withIntermediateDirectories: true)
        for frame in 1...count {
            let pixels: [Float] = (0..<(32 * 24 * 3)).map { (i: Int) -> Float in Float((i * 7 + frame * 31) % 255) / 255 }
            let image = Image(width: 32, height: 24, channels: 3, pixels: pixels)
            try ImageWriter.writePNG(image, to: plates.appendingPathComponent(String(format: "p.%04d.png", frame)).path)
        }
        return plates
    }

    func testAnAllocationRunsTheFarmRendersTheSpecAndShutsDownCleanly() throws {
        let cluster = try XCTUnwrap(cluster)
        let plates = try writePlates(6)
        let out = farm.directory.appendingPathComponent("out")
        let spec = farm.directory.appendingPathComponent("job.yaml")
        try """
        name: slurm-echo
        kind: echo
        content: \(plates.path)/p.####.png
        frames: 1-6
        echo_seconds: 0.2
        output_dir: \(out.path)
        output: e.####.png
        """.write(to: spec, atomically: true, encoding: .utf8)
        let log = farm.directory.appendingPathComponent("farm.log").path
        let state = farm.directory.appendingPathComponent("farm-state").path
        let ports = FarmProcesses.freePortPair()
        let result = try cluster.run("/usr/bin/sbatch", ["--wait", "--nodes=1", "--output=" + log,
                                                        "--export=ALL,STYLEFARM=\(CLIRunner.executableURL.path),STYLEFARM_STATE=\(state),STYLEFARM_BIND=127.0.0.1,STYLEFARM_WORKER_PORT=\(ports),STYLEFARM_CLIENT_PORT=\(ports + 1)",
                                                        Self.script("stylefarm-farm.sbatch"), spec.path], timeout: 180)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(result.status, 0, result.output + text + cluster.logs)
        XCTAssertTrue(text.contains("6/6 frames"), text)
        XCTAssertTrue(text.contains("render finished (status 0)"), text)
        XCTAssertTrue(text.contains("worker") && text.contains(": stopped"), "the worker stopped on SIGTERM, not killed: \(text)")
        XCTAssertFalse(text.contains("task 0: Killed"), text)
        for frame in 1...6 {
            let name = String(format: "%04d.png", frame)
            XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("e." + name)), try Data(contentsOf: plates.appendingPathComponent("p." + name)))
        }
        // The credentials it made are the user's alone; nothing is left running.
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/slurm-worker.credential")
        XCTAssertEqual((attributes[.posixPermissions] as? Int).map { $0 & 0o077 }, 0, "mode \(String(describing: attributes[.posixPermissions]))")
        XCTAssertTrue(cluster.waitUntilIdle(seconds: 30), cluster.queue())
        XCTAssertFalse(try cluster.processesRunning(state), "a process of the allocation is still running")

        // A second allocation resumes the same state folder: its keys, its finished job.
        let again = try cluster.run("/usr/bin/sbatch", ["--wait", "--nodes=1", "--time=1", "--output=" + log + ".2",
                                                       "--export=ALL,STYLEFARM=\(CLIRunner.executableURL.path),STYLEFARM_STATE=\(state),STYLEFARM_BIND=127.0.0.1,STYLEFARM_WORKER_PORT=\(ports),STYLEFARM_CLIENT_PORT=\(ports + 1)",
                                                       Self.script("stylefarm-farm.sbatch"), spec.path], timeout: 180)
        XCTAssertEqual(again.status, 0, again.output + ((try? String(contentsOfFile: log + ".2", encoding: .utf8)) ?? "") + cluster.logs)
    }

    /// An array of two lends workers to a standing coordinator; one array task is cancelled mid-job (`scancel
    /// JOB_1`, as preemption or a user would): its worker says goodbye, the frame it held goes back to the queue
    /// without using an attempt, the other finishes the job, and every frame is what was sent (echo), byte for byte.
    func testAnArrayLendsWorkersToAStandingCoordinatorUntilCancelled() throws {
        let cluster = try XCTUnwrap(cluster)
        let plates = try writePlates(8)
        try farm.startCoordinator()
        let out = farm.directory.appendingPathComponent("out").path
        let submitted = try farm.cli(["submit", "--name", "elastic", "--kind", "echo", "--content", plates.path + "/p.####.png",
                                      "--frames", "1-8", "--echo-seconds", "1", "--output-dir", out, "--output", "e.####.png",
                                      "--coordinator", farm.clientEndpoint])
        XCTAssertEqual(submitted.status, 0, submitted.stderr + farm.logs)
        let jobID = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let credential = try XCTUnwrap(try farm.workerCredentialPath("slurm"))
        let queued = try cluster.run("/usr/bin/sbatch", ["--array=1-2", "--cpus-per-task=1", "--parsable",
                                                        "--output=" + farm.directory.appendingPathComponent("worker-%A_%a.log").path,
                                                        "--export=ALL,STYLEFARM=\(CLIRunner.executableURL.path),STYLEFARM_COORDINATOR=\(farm.workerEndpoint),STYLEFARM_CREDENTIAL=\(credential)",
                                                        Self.script("stylefarm-workers.sbatch")], timeout: 30)
        XCTAssertEqual(queued.status, 0, queued.output + cluster.logs)
        let arrayID = queued.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        // Both array tasks hold a frame; then the first is cancelled.
        let busy = try farm.waitForStatus(jobID, timeout: 60) { status in
            status.job.framesDone >= 1 && Set(status.frames.filter { $0.state == .running }.map(\.workerID)).count == 2
        }
        XCTAssertNotNil(busy, "both array workers held a frame: \(farm.logs + cluster.logs)")
        let cancelledOne = try cluster.run("/usr/bin/scancel", ["\(arrayID)_1"], timeout: 30)
        XCTAssertEqual(cancelledOne.status, 0, cancelledOne.output)
        let done = try XCTUnwrap(farm.waitForStatus(jobID, timeout: 120) { $0.job.state == .completed }, farm.logs + cluster.logs)
        XCTAssertEqual(done.job.state, .completed, farm.logs + cluster.logs)
        let workers = Set(done.frames.map(\.workerID))
        XCTAssertTrue(workers.allSatisfy { $0.contains("-\(arrayID)-") }, "frames rendered by the array's workers: \(workers)")
        XCTAssertEqual(done.frames.filter { $0.attempts != 1 }.map(\.frameNumber), [], "the cancelled worker's frame used no attempt")
        var identical = 0
        for frame in 1...8 {
            let name = String(format: "%04d.png", frame)
            if (try? Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("e." + name))) == (try? Data(contentsOf: plates.appendingPathComponent("p." + name))) {
                identical += 1
            }
        }
        print("Slurm array, one task cancelled mid-job: identical=\(identical)/8")
        XCTAssertEqual(identical, 8)

        // Cancelled: each worker stops on SIGTERM and says goodbye.
        let cancelled = try cluster.run("/usr/bin/scancel", [arrayID], timeout: 30)
        XCTAssertEqual(cancelled.status, 0, cancelled.output)
        XCTAssertTrue(cluster.waitUntilIdle(seconds: 40), cluster.queue())
        let logs = try FileManager.default.contentsOfDirectory(atPath: farm.directory.path).filter { $0.hasPrefix("worker-\(arrayID)_") }
        XCTAssertEqual(logs.count, 2, "\(logs)")
        for name in logs {
            let text = try String(contentsOf: farm.directory.appendingPathComponent(name), encoding: .utf8)
            XCTAssertTrue(text.contains(": stopped"), "\(name): \(text)")
        }
    }

    static func script(_ name: String) -> String {
        FarmProcesses.repository.appendingPathComponent("deploy/slurm/\(name)").path
    }
}

/// A one-node Slurm cluster for a test: munged, slurmctld and slurmd in the foreground (children of the test, so
/// nothing outlives it), with their own key, config, ports, spool and logs under `directory`, the node reachable at
/// 127.0.0.1. The daemons are started with `posix_spawn` and reaped with `waitpid` here: started as Foundation
/// `Process`es, slurmctld leaves Foundation unable to see any later child exit (they stay zombies), which would
/// hang every command the test runs after it.
final class SlurmCluster {
    let directory: URL
    let farm: FarmProcesses
    let config: String
    private var daemons: [pid_t] = []
    private var environment: [String: String] { ["SLURM_CONF": config] }

    init(directory: URL, farm: FarmProcesses) throws {
        self.directory = directory
        self.farm = farm
        let fm = FileManager.default
        for folder in ["munge", "state", "spool", "log", "run"] {
            try fm.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        config = directory.appendingPathComponent("slurm.conf").path
        let key = directory.appendingPathComponent("munge/munge.key")
        try Data((0..<1024).map { _ in UInt8.random(in: 0...255) }).write(to: key)
        try fm.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key.path)
        let host = try farm.run("/bin/hostname", ["-s"], timeout: 10).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let ports = FarmProcesses.freePortPair()
        let d = directory.path
        try """
        ClusterName=stylefarmtest
        SlurmctldHost=\(host)(127.0.0.1)
        SlurmUser=root
        SlurmdUser=root
        SlurmctldPort=\(ports)
        SlurmdPort=\(ports + 1)
        AuthType=auth/munge
        AuthInfo=socket=\(d)/munge/munge.socket
        CredType=cred/munge
        StateSaveLocation=\(d)/state
        SlurmdSpoolDir=\(d)/spool
        SlurmctldPidFile=\(d)/run/slurmctld.pid
        SlurmdPidFile=\(d)/run/slurmd.pid
        SlurmctldLogFile=\(d)/log/slurmctld.log
        SlurmdLogFile=\(d)/log/slurmd.log
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        SelectType=select/cons_tres
        SelectTypeParameters=CR_Core
        JobCompType=jobcomp/none
        AccountingStorageType=accounting_storage/none
        MpiDefault=none
        ReturnToService=2
        KillWait=10
        NodeName=\(host) NodeAddr=127.0.0.1 CPUs=\(ProcessInfo.processInfo.activeProcessorCount) State=UNKNOWN
        PartitionName=test Nodes=\(host) Default=YES MaxTime=INFINITE State=UP

        """.write(toFile: config, atomically: true, encoding: .utf8)
        do {
            try launch("/usr/sbin/munged", ["-F", "-f", "--key-file=\(d)/munge/munge.key", "--socket=\(d)/munge/munge.socket",
                                            "--pid-file=\(d)/munge/munged.pid", "--log-file=\(d)/munge/munged.log",
                                            "--seed-file=\(d)/munge/seed"], log: "munge/munged.out")
            guard wait(seconds: 20, until: { fm.fileExists(atPath: "\(d)/munge/munge.socket") }) else {
                throw XCTSkip("munged does not start here:\n\(logs)")
            }
            try launch("/usr/sbin/slurmctld", ["-D", "-f", config], log: "log/slurmctld.out")
            try launch("/usr/sbin/slurmd", ["-D", "-f", config, "-N", host], log: "log/slurmd.out")
            guard wait(seconds: 60, until: { (try? self.run("/usr/bin/sinfo", ["-h", "-o", "%T"], timeout: 10).output.contains("idle")) == true }) else {
                throw XCTSkip("the test Slurm node did not become idle in 60 s:\n\(logs)")
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Starts a daemon in the foreground, its output in `log` under `directory`.
    private func launch(_ executable: String, _ arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory.appendingPathComponent(log).path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard status == 0 else { throw XCTSkip("\(executable) cannot be started: \(String(cString: strerror(status)))") }
        daemons.append(pid)
    }

    /// Whether `ready` holds within `seconds`; false at once if a daemon has exited.
    private func wait(seconds: TimeInterval, until ready: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if ready() { return true }
            var status: Int32 = 0
            if daemons.contains(where: { waitpid($0, &status, WNOHANG) == $0 }) { return false }
            usleep(200_000)
        }
        return false
    }

    func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String) {
        try farm.run(executable, arguments, environment: environment, timeout: timeout)
    }

    /// Whether the queue is empty within `seconds`.
    func waitUntilIdle(seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let queue = try? run("/usr/bin/squeue", ["-h"], timeout: 10), queue.status == 0,
               queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
            usleep(300_000)
        }
        return false
    }

    func queue() -> String { (try? run("/usr/bin/squeue", [], timeout: 10).output) ?? "" }

    /// Whether a process naming `text` in its command line is running.
    func processesRunning(_ text: String) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").contains { pid in
            guard Int(pid) != nil, let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: command, as: UTF8.self).contains(text)
        }
    }

    var logs: String {
        ["log/slurmctld.log", "log/slurmd.log", "log/slurmctld.out", "log/slurmd.out", "munge/munged.log"].map { name in
            "--- \(name)\n" + ((try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)).map { String($0.suffix(3000)) } ?? "")
        }.joined(separator: "\n")
    }

    /// Cancels every job and stops the daemons (slurmd, slurmctld, munged), each given 10 s before SIGKILL.
    func stop() {
        if daemons.count == 3 { _ = try? run("/usr/bin/scancel", ["--full", "--user=root"], timeout: 15) }
        for pid in daemons.reversed() {
            var status: Int32 = 0
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while waitpid(pid, &status, WNOHANG) == 0 && Date() < deadline { usleep(100_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL); waitpid(pid, &status, 0) }
        }
        daemons.removeAll()
    }
}
