import Engine
import Foundation

/// Shows optimization progress: a one-line progress bar (iteration, losses, ETA) when stderr is a
/// terminal, plain log lines otherwise (every 10% and at the end of each scale).
final class ProgressReporter {
    private let label: String
    private let interactive: Bool
    private var start = Date()
    private var scaleStart = Date()
    private var currentScale = -1
    private var lastLoggedDecile = -1

    init(label: String, totalScales: Int) {
        self.label = label
        self.interactive = isatty(STDERR_FILENO) != 0
    }

    func report(_ p: StyleTransferProgress) {
        if p.scale != currentScale {
            if interactive && currentScale >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            currentScale = p.scale
            scaleStart = Date()
            lastLoggedDecile = -1
        }
        let elapsed = Date().timeIntervalSince(scaleStart)
        let perEval = elapsed / Double(max(p.evaluation, 1))
        let eta = perEval * Double(p.budget - p.evaluation)
        let losses = String(format: "content %.3g style %.3g tv %.3g", Double(p.losses.content),
                            Double(p.losses.style), Double(p.losses.totalVariation))
        let scale = "scale \(p.scale + 1)/\(p.scales) \(p.width)x\(p.height)"
        if interactive {
            let width = 24
            let filled = p.budget > 0 ? width * p.evaluation / p.budget : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\r%@ %@ [%@] %d/%d %@ %.2fs/it ETA %@\u{1B}[K", label, scale, bar,
                              p.evaluation, p.budget, losses, perEval, Self.format(seconds: eta))
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            let decile = p.budget > 0 ? 10 * p.evaluation / p.budget : 10
            if decile != lastLoggedDecile || p.evaluation == p.budget {
                lastLoggedDecile = decile
                let line = String(format: "%@: %@ iteration %d/%d %@ %.2fs/it eta %@\n", label, scale,
                                  p.evaluation, p.budget, losses, perEval, Self.format(seconds: eta))
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        let line = String(format: "%@: done in %.1fs\n", label, Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func format(seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
            : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}
