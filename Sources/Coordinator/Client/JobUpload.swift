import Crypto
import Foundation
import JobModel
import Protocol

/// Sends a job's inputs to the coordinator as content-addressed blobs (`stylefarm submit --upload`,
/// docs/PROTOCOL.md "Uploads"), so a job needs no path the coordinator and the client share: every input
/// file (`ResolvedJob.inputFiles`) is hashed here, only the blobs the coordinator lacks are sent (a frame
/// held for 40 frames, or a plate sent last week, travels once), the files are laid out in a checkout under
/// their own paths, and the job comes back naming that checkout (`relocatingInputs`), ready to submit.
public enum JobUpload {
    /// What an upload did.
    public struct Report: Sendable, Equatable {
        /// Input files of the job, and distinct contents among them.
        public var files: Int
        public var blobs: Int
        /// Blobs sent now, and their bytes (the rest the coordinator had).
        public var sentBlobs: Int
        public var sentBytes: UInt64
        /// The checkout's folder on the coordinator.
        public var checkoutRoot: String

        public var summary: String {
            "uploaded \(sentBlobs) of \(blobs) distinct file(s) (\(Self.megabytes(sentBytes)) MB; \(blobs - sentBlobs) already on the coordinator) for \(files) input file(s) into \(checkoutRoot)"
        }

        static func megabytes(_ bytes: UInt64) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }
    }

    /// Why an upload could not start.
    public enum UploadFailure: Error, Equatable, CustomStringConvertible {
        case unreadable(path: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "cannot upload \(path): \(reason)"
            }
        }
    }

    static let queryBatch = 10_000
    static let checkoutBatch = 4_000
    static let readBlock = 1 << 20

    /// Uploads `job`'s inputs through `client`; returns the job naming the checkout, and what was sent.
    /// The job comes back in blob mode (uploaded files live on the coordinator; workers fetch them from it).
    /// `progress` is told about each blob sent.
    public static func run(_ job: ResolvedJob, with client: CoordinatorClient,
                           progress: ((String) -> Void)? = nil) throws -> (job: ResolvedJob, report: Report) {
        let files = job.inputFiles
        guard !files.isEmpty else { return (job, Report(files: 0, blobs: 0, sentBlobs: 0, sentBytes: 0, checkoutRoot: "")) }
        var names: [String] = []
        var sizes: [String: UInt64] = [:]
        var source: [String: String] = [:]
        for path in files {
            let (name, size) = try hash(path)
            names.append(name)
            if source[name] == nil { source[name] = path; sizes[name] = size }
        }
        var seen = Set<String>()
        let distinct = names.filter { seen.insert($0).inserted }
        var missing: [String] = []
        for start in stride(from: 0, to: distinct.count, by: queryBatch) {
            missing += try client.missingBlobs(Array(distinct[start ..< min(distinct.count, start + queryBatch)]))
        }
        var sentBytes: UInt64 = 0
        for (n, name) in missing.enumerated() {
            guard let path = source[name], let size = sizes[name] else { continue }
            try send(name, size: size, from: path, with: client)
            sentBytes += size
            progress?("sent \(n + 1)/\(missing.count): \(path) (\(Report.megabytes(size)) MB)")
        }
        var checkoutID = ""
        var root = ""
        let entries = zip(files, names).map { (path: CheckoutLayout.relativePath(of: $0.0), sha256: $0.1) }
        for start in stride(from: 0, to: entries.count, by: checkoutBatch) {
            let batch = Array(entries[start ..< min(entries.count, start + checkoutBatch)])
            (checkoutID, root) = try client.checkout(id: checkoutID, files: batch)
        }
        var uploaded = try job.relocatingInputs(under: root)
        uploaded.sharedFilesystem = false
        return (uploaded, Report(files: files.count, blobs: distinct.count, sentBlobs: missing.count,
                                 sentBytes: sentBytes, checkoutRoot: root))
    }

    /// The blob name and size of the file at `path`, read in blocks.
    static func hash(_ path: String) throws -> (name: String, size: UInt64) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw UploadFailure.unreadable(path: path, reason: "it does not exist or cannot be opened")
        }
        defer { try? file.close() }
        var hasher = SHA256()
        var size: UInt64 = 0
        do {
            while let block = try file.read(upToCount: readBlock), !block.isEmpty {
                hasher.update(data: block)
                size += UInt64(block.count)
            }
        } catch {
            throw UploadFailure.unreadable(path: path, reason: "\(error)")
        }
        return (BlobName.of(hasher), size)
    }

    /// Sends one blob; when the coordinator's queue is full, waits and sends it again (a few times).
    static func send(_ name: String, size: UInt64, from path: String, with client: CoordinatorClient) throws {
        var attempt = 0
        while true {
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw UploadFailure.unreadable(path: path, reason: "it does not exist or cannot be opened")
            }
            defer { try? file.close() }
            do {
                try client.upload(sha256: name, totalSize: size) { offset, count in
                    try file.seek(toOffset: offset)
                    return try file.read(upToCount: count) ?? Data()
                }
                return
            } catch CoordinatorClientError.busy(let message) {
                attempt += 1
                guard attempt < 6 else { throw CoordinatorClientError.busy(message) }
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }
}
