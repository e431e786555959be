import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm delete JOB [--outputs]`.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a job: its state, intermediate results and uploaded inputs (a running job is cancelled first).")

    @Argument(help: "The job id.")
    var job: String

    @Flag(help: "Remove the frames it rendered too.")
    var outputs = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        let reply = try connection.delete(job, outputs: outputs)
        print("deleted \(job): \(reply.tasksDeleted) task(s), \(reply.filesRemoved) file(s) removed"
              + (outputs ? " (\(reply.outputsRemoved) frame(s))" : "") + ", \(ByteCountFormatter.string(fromByteCount: Int64(reply.bytesFreed), countStyle: .file)) freed")
    }
}
