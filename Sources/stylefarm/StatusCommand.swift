import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm status [JOB]`: a table of jobs, or one job with its frames.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the coordinator's jobs, or one job's frames.")

    @Argument(help: "A job id (default: every job).")
    var job: String?

    @Flag(help: "Print JSON (protobuf's JSON mapping of the replies).")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        if let job {
            let reply = try connection.status(job, frames: true)
            if json { print(try reply.jsonString()); return }
            print(Self.table([reply.job]))
            if !reply.job.pausedReason.isEmpty { print("paused: \(reply.job.pausedReason) (stylefarm resume \(job))") }
            if !reply.job.blockedWorkers.isEmpty {
                print("blocked workers (failed too many of its tasks): \(reply.job.blockedWorkers.joined(separator: ", ")) (stylefarm unblock \(job))")
            }
            print("")
            print(Self.frameTable(reply.frames))
        } else {
            let jobs = try connection.list()
            if json {
                var reply = Stylefarm_V1_ListJobsReply()
                reply.jobs = jobs
                print(try reply.jsonString())
                return
            }
            print(jobs.isEmpty ? "no jobs" : Self.table(jobs))
        }
    }

    static func table(_ jobs: [Stylefarm_V1_JobSummary]) -> String {
        var rows = [["JOB", "NAME", "OWNER", "STATE", "PRIORITY", "DONE", "FAILED", "TOTAL", "SUBMITTED"]]
        let format = ISO8601DateFormatter()
        for j in jobs {
            rows.append([j.jobID, j.name, j.owner.isEmpty ? "-" : j.owner, j.state.name, "\(j.priority)", "\(j.framesDone)", "\(j.framesFailed)", "\(j.framesTotal)",
                         format.string(from: Date(timeIntervalSince1970: Double(j.submittedUnixMs) / 1000))])
        }
        return render(rows)
    }

    /// One row per frame: its state and worker, the worker seconds its renders took, the output render's final
    /// loss and (temporal jobs) the warp error against the previous frame, or why it failed.
    static func frameTable(_ frames: [Stylefarm_V1_FrameStatus]) -> String {
        var rows = [["FRAME", "STATE", "ATTEMPTS", "WORKER", "RENDER", "LOSS", "WARP", "ERROR"]]
        for f in frames {
            rows.append(["\(f.frameNumber)", f.state.name, "\(f.attempts)", f.workerID,
                         f.renderSeconds > 0 ? String(format: "%.1f s", f.renderSeconds) : "-",
                         f.hasFinalLosses && f.finalLosses.total > 0 ? String(format: "%.4g", f.finalLosses.total) : "-",
                         f.hasWarpError ? String(format: "%.5f", f.warpError) : "-", f.error])
        }
        return render(rows)
    }

    static func render(_ rows: [[String]]) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
