import Coordinator
import Foundation
import Protocol

/// Renders a job's watch events as a progress line: a bar of frames done/total, workers busy, the
/// estimated time left (from the rate of frames finished so far) and the running frames' iterations.
/// On a terminal the line is redrawn in place; otherwise one line is printed per finished frame.
struct JobProgressView {
    let label: String
    let interactive: Bool
    private let started = Date()
    private var firstDone: Int?
    private var lastPrintedDone = -1

    init(label: String, interactive: Bool = isatty(STDERR_FILENO) != 0) {
        self.label = label
        self.interactive = interactive
    }

    /// The progress line of `event` at `now`.
    func line(_ event: Stylefarm_V1_JobEvent, now: Date = Date()) -> String {
        let total = max(1, Int(event.framesTotal)), done = Int(event.framesDone)
        let width = 24
        let filled = min(width, done * width / total)
        var text = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(event.framesTotal) frames"
        if event.framesFailed > 0 { text += ", \(event.framesFailed) failed" }
        text += ", \(event.workersBusy) worker\(event.workersBusy == 1 ? "" : "s") busy"
        if let eta = eta(done: done, total: total, now: now) { text += ", ETA \(Self.clock(eta))" }
        let running = event.running.filter { $0.budget > 0 }.sorted { $0.frameIndex < $1.frameIndex }
        if !running.isEmpty {
            text += " | " + running.prefix(4).map { "f\($0.frameIndex) \($0.iteration * 100 / max(1, $0.budget))%" }.joined(separator: " ")
        }
        return text
    }

    /// Seconds left, from the average time per finished frame since the watch began.
    func eta(done: Int, total: Int, now: Date) -> Double? {
        guard let firstDone, done > firstDone, done < total else { return nil }
        let rate = Double(done - firstDone) / now.timeIntervalSince(started)
        return rate > 0 ? Double(total - done) / rate : nil
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    mutating func show(_ event: Stylefarm_V1_JobEvent) {
        if firstDone == nil { firstDone = Int(event.framesDone) }
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(event)).utf8))
            if event.terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if Int(event.framesDone) != lastPrintedDone || event.terminal {
            lastPrintedDone = Int(event.framesDone)
            FileHandle.standardError.write(Data((line(event) + "\n").utf8))
        }
    }
}
