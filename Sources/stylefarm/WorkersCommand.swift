import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm workers`.
struct WorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List the farm's workers: alive or dead, tasks held, unhealthy marks and job blocklists.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        let workers = try connection.workers()
        guard !workers.isEmpty else {
            print("no worker has registered")
            return
        }
        let format = ISO8601DateFormatter()
        for w in workers {
            let health = w.unhealthyReason.isEmpty ? "" : "  UNHEALTHY"
            let seen = format.string(from: Date(timeIntervalSince1970: Double(w.lastSeenUnixMs) / 1000))
            print("\(w.workerID)  \(w.state)\(health)  \(w.hostname)  \(w.cores) cores  "
                  + "\(ByteCountFormatter.string(fromByteCount: Int64(clamping: w.memoryBytes), countStyle: .memory))  "
                  + "\(w.tasksHeld)/\(w.slots) slots busy  last seen \(seen)")
            if !w.unhealthyReason.isEmpty {
                print("  unhealthy: \(w.unhealthyReason); gets no tasks until `stylefarm unblock --worker \(w.workerID)`")
            }
            if !w.blockedJobs.isEmpty { print("  blocklisted for: \(w.blockedJobs.joined(separator: ", "))") }
            for task in w.tasks {
                print("  doing \(task.taskID)" + (task.budget > 0 ? "  \(task.iteration)/\(task.budget) evaluations" : ""))
            }
            if w.peakRssBytes > 0 {
                print("  last task's peak memory: \(ByteCountFormatter.string(fromByteCount: Int64(clamping: w.peakRssBytes), countStyle: .memory))")
            }
        }
    }
}
