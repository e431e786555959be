import Engine
import Foundation
import JobModel

/// Small PNG previews of finished frames for the dashboard: the frame's output read from the path the
/// coordinator keeps it at, scaled so its longer side is ``side`` pixels, encoded once and kept (keyed by path,
/// size and modification time, so a re-rendered frame gets a new one) up to ``budgetBytes``, oldest dropped
/// first. Made on a queue of their own, never on the event loop or the coordinator's loop. A job's contact sheet
/// (its finished frames in a grid) is made and kept the same way.
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

    /// The preview of the image at `path` (a frame's output, a path the coordinator named; a style image): read as
    /// the job reads its frames back (`plate`: an OpenEXR output through the job's colour space into the sRGB working
    /// space), or by its file type (a style: PNG, JPEG, or OpenEXR as linear Rec.709).
    func png(of path: String, plate: PlateSettings? = nil) async throws -> Data {
        try await cached(key: try Self.fileKey(path), name: path) {
            let image = try Self.read(path, plate: plate)
            let scaled = max(image.width, image.height) > Self.side ? try image.resized(longerSide: Self.side) : image
            return try ImageWriter.encodePNG(scaled, compressionLevel: 3, name: path)
        }
    }

    /// The most frames a contact sheet shows; a longer job's sheet shows this many, evenly spaced.
    static let contactSheetFrames = 120
    /// A contact sheet cell's width.
    static let cellSide = 160

    /// A contact sheet of the images at `paths` (a job's finished frames, in frame order): `columns` cells a row,
    /// each image ``cellSide`` pixels wide, 4 pixels between cells, on dark grey.
    func contactSheet(of paths: [String], columns: Int, plate: PlateSettings) async throws -> Data {
        let shown = Self.evenlySpaced(paths, count: Self.contactSheetFrames)
        let key = try "sheet|\(columns)|" + shown.map(Self.fileKey).joined(separator: "|")
        return try await cached(key: key, name: "contact sheet") {
            try ImageWriter.encodePNG(try Self.sheet(of: shown, columns: columns, plate: plate), compressionLevel: 3, name: "contact sheet")
        }
    }

    /// An image for display: a job's frame as the job reads it back (``PlateSettings/readResult(path:limits:)``), any
    /// other image by its file type (``Plate/read(path:colorSpace:layer:limits:)``), in the sRGB working space.
    static func read(_ path: String, plate: PlateSettings?) throws -> Image {
        if let plate { return try plate.readResult(path: path) }
        return Plate.writesEXR(path) ? try Plate.read(path: path).working : try ImageReader.read(path: path)
    }

    /// `count` of `items` spread evenly from the first to the last (all of them when there are no more).
    static func evenlySpaced<T>(_ items: [T], count: Int) -> [T] {
        guard items.count > count, count > 1 else { return items }
        return (0..<count).map { items[Int((Double($0) * Double(items.count - 1) / Double(count - 1)).rounded())] }
    }

    /// Each frame is read and scaled to its cell one at a time (120 4K frames held whole would be 12 GB of floats),
    /// then laid out by `ContactSheet`.
    static func sheet(of paths: [String], columns: Int, plate: PlateSettings) throws -> Image {
        let cells = try paths.map { path -> Image in
            let frame = try read(path, plate: plate).toRGB()
            let height = max(1, Int((Double(frame.height) * Double(cellSide) / Double(max(1, frame.width))).rounded()))
            return try frame.resized(width: cellSide, height: height)
        }
        return try ContactSheet.compose(cells, columns: columns, cellWidth: cellSide, gap: 4, background: 0.15)
    }

    /// A cache key that changes when the file does (a re-rendered frame gets a new preview).
    static func fileKey(_ path: String) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int, let modified = attributes?[.modificationDate] as? Date else {
            throw Failure.unreadable(path, "the file is not there")
        }
        return "\(path)|\(size)|\(modified.timeIntervalSince1970)"
    }

    /// The PNG kept under `key`, else made by `make` on the preview queue (two at a time) and kept.
    private func cached(key: String, name: String, make: @escaping @Sendable () throws -> Data) async throws -> Data {
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
                    continuation.resume(returning: try make())
                } catch let failure as Failure {
                    continuation.resume(throwing: failure)
                } catch {
                    continuation.resume(throwing: Failure.unreadable(name, "\(error)"))
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
