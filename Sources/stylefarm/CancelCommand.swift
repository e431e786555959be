import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm cancel JOB`.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a job; workers stop its running tasks.")

    @Argument(help: "The job id.")
    var job: String

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        try connection.cancel(job)
        print("cancelled \(job)")
    }
}
