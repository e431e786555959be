import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm set JOB --priority N`.
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change a job's settings while it runs (its priority).")

    @Argument(help: "The job id.")
    var job: String

    @Option(help: "Priority 0–100, higher first; its queued tasks move at once.")
    var priority: Int

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (0...100).contains(priority) else { throw ValidationError("--priority must be 0–100 (got \(priority))") }
    }

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        var change = Stylefarm_V1_SetJobPriority()
        change.priority = UInt32(priority)
        let reply = try connection.control(job, .setPriority(change))
        print("\(job): priority \(reply.job.priority)")
    }
}
