import Engine
import Foundation

/// Small PNG previews of finished frames for the dashboard: the frame's output read from the path the
/// coordinator keeps it at, scaled so its longer side is ``side`` pixels, encoded once and kept (keyed by path,
/// size and modification time, so a re-rendered frame gets a new one) up to ``budgetBytes``, oldest dropped
/// first. Made on a queue of their own, never on the event loop or the coordinator's loop.
final class Thumbnails: @unchecked Sendable {
    static let side = 256
    let budgetBytes: Int
    private let queue = DispatchQueue(label: "stylefarm.http.thumbnails", attributes: .concurrent)
    /// At most two frames decoded at once (a 4K frame is 100 MB as floats).
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var cache: [String: (png: Data, used: UInt64)] = [:]
    private var cachedBytes = 0
    private var clock: UInt64 = 0

    init(budgetBytes: Int = 64 << 20) { self.budgetBytes = budgetBytes }

    enum Failure: Error, CustomStringConvertible {
        case unreadable(String, String)
        var description: String {
            switch self {
            case .unreadable(let path, let reason): return "cannot make a preview of \(path): \(reason)"
            }
        }
    }

    /// The preview of the image at `path` (a frame's output, a path the coordinator named).
    func png(of path: String) async throws -> Data {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, let modified = attributes?[.modificationDate] as? Date else {
            throw Failure.unreadable(path, "the file is not there")
        }
        let key = "\(path)|\(size)|\(modified.timeIntervalSince1970)"
        if let hit = lock.withLock({ () -> Data? in
            clock += 1
            guard let entry = cache[key] else { return nil }
            cache[key] = (entry.png, clock)
            return entry.png
        }) { return hit }
        let png: Data = try await withCheckedThrowingContinuation { continuation in
            queue.async { [slots] in
                slots.wait()
                defer { slots.signal() }
                do {
                    let image = try ImageReader.read(path: path)
                    let scaled = max(image.width, image.height) > Self.side ? try image.resized(longerSide: Self.side) : image
                    continuation.resume(returning: try ImageWriter.encodePNG(scaled, compressionLevel: 3, name: path))
                } catch {
                    continuation.resume(throwing: Failure.unreadable(path, "\(error)"))
                }
            }
        }
        lock.withLock {
            clock += 1
            if cache[key] == nil { cachedBytes += png.count }
            cache[key] = (png, clock)
            while cachedBytes > budgetBytes, let oldest = cache.min(by: { $0.value.used < $1.value.used }) {
                cachedBytes -= oldest.value.png.count
                cache[oldest.key] = nil
            }
        }
        return png
    }
}
