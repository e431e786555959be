import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm unblock JOB [--worker ID]`.
struct UnblockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock",
        abstract: "Let workers blocklisted for a job (they failed too many of its tasks) take its tasks again.")

    @Argument(help: "The job id.")
    var job: String

    @Option(help: "Only this worker (default: every worker).")
    var worker: String?

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        var unblock = Stylefarm_V1_UnblockWorkers()
        unblock.workerID = worker ?? ""
        let reply = try connection.control(job, .unblock(unblock))
        print(reply.tasksAffected == 0 ? "no failures recorded for \(worker ?? "any worker") on \(job)"
              : "\(job): failures of \(reply.tasksAffected) worker(s) forgotten")
    }
}
