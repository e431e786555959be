import ArgumentParser
import Coordinator
import Foundation
import JobModel
import Protocol

/// `stylefarm requeue JOB (--frames LIST | --failed)`.
struct RequeueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Render frames of a job again, also after it finished; each output is replaced when its new render lands.")

    @Argument(help: "The job id.")
    var job: String

    @Option(help: "Frame numbers, as in a frame range: 1017,1020-1022.")
    var frames: String?

    @Flag(help: "Every failed frame.")
    var failed = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard frames != nil || failed else { throw ValidationError("name the frames (--frames 1017,1020-1022) or ask for --failed") }
        if let frames { _ = try Self.parse(frames) }
    }

    static func parse(_ text: String) throws -> [Int] {
        do { return try FrameRange(parsing: text).frames } catch {
            throw ValidationError("--frames: \(error)")
        }
    }

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        var requeue = Stylefarm_V1_RequeueFrames()
        requeue.frames = try frames.map { try Self.parse($0).map(Int64.init) } ?? []
        requeue.failed = failed
        let reply = try connection.control(job, .requeue(requeue))
        if reply.framesRequeued.isEmpty {
            print("nothing requeued" + (failed && frames == nil ? ": \(job) has no failed frames" : ""))
        } else {
            print("requeued \(reply.framesRequeued.count) frame(s) of \(job): \(FrameRange(frames: reply.framesRequeued.map { Int($0) })) (\(reply.tasksAffected) task(s))")
        }
        if !reply.framesSkipped.isEmpty {
            print("left alone, still queued or rendering: \(FrameRange(frames: reply.framesSkipped.map { Int($0) }))")
        }
    }
}
