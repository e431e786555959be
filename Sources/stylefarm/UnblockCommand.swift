import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm unblock JOB [--worker ID]`, or `stylefarm unblock --worker ID` (farm-wide).
struct UnblockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock",
        abstract: "Let blocklisted workers take a job's tasks again; without a job, clear a worker marked unhealthy.",
        discussion: """
            With a job: workers blocklisted for it (they failed too many of its tasks) take its tasks again.
            Without a job (`--worker` required, an admin key): the worker's unhealthy mark is cleared and it is
            taken off every job's blocklist.
            """)

    @Argument(help: "The job id (omit to clear a worker farm-wide).")
    var job: String?

    @Option(help: "Only this worker (with a job; default: every worker), or the worker to clear (without one).")
    var worker: String?

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if job == nil && worker == nil { throw ValidationError("name a job, a worker (--worker), or both") }
    }

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        guard let job else {
            let worker = worker!
            let reply = try connection.reinstateWorker(worker)
            print(reply.wasUnhealthy ? "\(worker): no longer unhealthy; it takes tasks of every job again"
                  : "\(worker): was not unhealthy; taken off every job's blocklist")
            return
        }
        var unblock = Stylefarm_V1_UnblockWorkers()
        unblock.workerID = worker ?? ""
        let reply = try connection.control(job, .unblock(unblock))
        print(reply.tasksAffected == 0 ? "no failures recorded for \(worker ?? "any worker") on \(job)"
              : "\(job): failures of \(reply.tasksAffected) worker(s) forgotten")
    }
}
