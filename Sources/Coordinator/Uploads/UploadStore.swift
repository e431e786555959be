import Crypto
import Foundation
import JobModel
import Protocol

/// The coordinator's store of uploaded content (`stylefarm submit --upload`, docs/PROTOCOL.md "Uploads"), in
/// the manner of Flamenco's Shaman: files arrive as content-addressed blobs, each stored once whoever sends
/// it, and a checkout lays them out under a folder of their owner's as hard links, so that a job names them
/// by path like any other input. Under `<state>/uploads/`:
///
///     blobs/<sha256>                     whole, checked blobs (read-only)
///     partial/<owner>-<sha256>           blobs arriving (removed when idle too long, and at start)
///     checkouts/key-<name>/<id>/<path>   checkouts of the key `name` (`local` without CurveZMQ)
///
/// Every name and path from a peer is checked before it touches a path. Used only on the coordinator's
/// upload thread (an `OffLoopQueue`), never on the loop: chunks are written and hashed there.
final class UploadStore: @unchecked Sendable {
    /// Bounds on what peers may make the store hold.
    struct Limits: Sendable {
        /// The largest blob, bytes.
        var maxBlobBytes: UInt64 = 8 << 30
        /// Space left free on the state folder's file system: an upload that would eat into it is refused.
        var reservedBytes: UInt64 = 1 << 30
        /// Blobs one key may have half-sent at once.
        var maxOpenUploadsPerOwner = 8
        /// A half-sent blob untouched this long is dropped (its client starts again from offset 0).
        var idleSeconds: TimeInterval = 600
        /// Names per `UploadQuery`, files per `Checkout` message and files per checkout.
        var maxNamesPerQuery = 10_000
        var maxFilesPerMessage = 4_000
        var maxFilesPerCheckout = 1_000_000
    }

    /// A blob arriving.
    private struct Partial {
        var file: FileHandle
        var path: String
        var hasher = SHA256()
        var received: UInt64 = 0
        var total: UInt64
        var touched: Date
    }

    /// What a chunk did.
    struct ChunkOutcome: Equatable {
        var received: UInt64
        var stored: Bool
    }

    let root: URL
    let limits: Limits
    private let blobs: URL
    private let partial: URL
    private let checkouts: URL
    private var partials: [String: Partial] = [:]
    /// Files laid out per checkout id since this coordinator started (a checkout from before a restart counts from 0).
    private var checkoutFiles: [String: Int] = [:]

    init(stateDirectory: URL, limits: Limits = Limits()) throws {
        root = stateDirectory.appendingPathComponent("uploads", isDirectory: true)
        self.limits = limits
        blobs = root.appendingPathComponent("blobs", isDirectory: true)
        partial = root.appendingPathComponent("partial", isDirectory: true)
        checkouts = root.appendingPathComponent("checkouts", isDirectory: true)
        for folder in [blobs, partial, checkouts] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        // Half-sent blobs of an earlier run cannot be continued (their hash state is gone).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: partial.path)) ?? [] {
            try? FileManager.default.removeItem(at: partial.appendingPathComponent(name))
        }
    }

    deinit { for (_, p) in partials { try? p.file.close() } }

    /// The folder that holds `owner`'s checkouts (`key-<name>`, or `local` for a client without a key). Key
    /// names are letters, digits and `. _ - @` (`Credential.isValidName`), so with the prefix no name is `..`.
    static func ownerFolderName(_ owner: String) -> String {
        owner.isEmpty ? "local" : "key-" + owner
    }

    /// The folder of `owner`'s checkouts under the state folder, which a job of theirs may read.
    static func checkoutsFolder(stateDirectory: URL, owner: String) -> URL {
        stateDirectory.appendingPathComponent("uploads/checkouts", isDirectory: true)
            .appendingPathComponent(ownerFolderName(owner), isDirectory: true)
    }

    // MARK: Queries

    /// The names among `names` the store does not hold, in their order (each once).
    func missing(_ names: [String]) throws -> [String] {
        guard names.count <= limits.maxNamesPerQuery else {
            throw UploadError.exhausted("\(names.count) names in one query; at most \(limits.maxNamesPerQuery)")
        }
        var seen = Set<String>()
        var result: [String] = []
        for name in names {
            guard BlobName.isValid(name) else { throw UploadError.invalid("\(name.prefix(80).debugDescription) is not a blob name (64 lowercase hex digits)") }
            guard seen.insert(name).inserted else { continue }
            if !FileManager.default.fileExists(atPath: blobPath(name)) { result.append(name) }
        }
        return result
    }

    private func blobPath(_ name: String) -> String { blobs.appendingPathComponent(name).path }

    // MARK: Chunks

    /// Stores one chunk of blob `sha256` from `owner`. Offset 0 starts the blob (again); a later chunk must
    /// continue where the last one ended. The last chunk's bytes must hash to the name.
    func receive(owner: String, sha256: String, totalSize: UInt64, offset: UInt64, bytes: Data, last: Bool,
                 now: Date) throws -> ChunkOutcome {
        dropIdle(now: now)
        guard BlobName.isValid(sha256) else {
            throw UploadError.invalid("\(sha256.prefix(80).debugDescription) is not a blob name (64 lowercase hex digits)")
        }
        let key = Self.ownerFolderName(owner) + "-" + sha256
        if offset == 0 {
            if let old = partials.removeValue(forKey: key) { discard(old) }
            if FileManager.default.fileExists(atPath: blobPath(sha256)) {
                // Someone sent it meanwhile: nothing more to send.
                return ChunkOutcome(received: totalSize, stored: true)
            }
            try begin(key: key, totalSize: totalSize, owner: owner, now: now)
        }
        guard var upload = partials[key] else {
            throw UploadError.invalid("no upload of \(sha256) is open at offset \(offset) (it was dropped after \(Int(limits.idleSeconds)) s idle, or the coordinator restarted); send it again from offset 0")
        }
        do {
            guard upload.total == totalSize else {
                throw UploadError.invalid("chunk of \(sha256) announces \(totalSize) bytes, the upload began with \(upload.total); send it again from offset 0")
            }
            guard offset == upload.received else {
                throw UploadError.invalid("chunk of \(sha256) at offset \(offset), expected \(upload.received); send it again from offset 0")
            }
            guard upload.received + UInt64(bytes.count) <= upload.total else {
                throw UploadError.invalid("chunk of \(sha256) goes past the \(upload.total) bytes announced")
            }
            do { try upload.file.write(contentsOf: bytes) } catch {
                throw UploadError.io("cannot write upload \(sha256): \(error)")
            }
            upload.hasher.update(data: bytes)
            upload.received += UInt64(bytes.count)
            upload.touched = now
        } catch {
            partials.removeValue(forKey: key)
            discard(upload)
            throw error
        }
        guard last else {
            partials[key] = upload
            return ChunkOutcome(received: upload.received, stored: false)
        }
        partials.removeValue(forKey: key)
        try finish(upload, sha256: sha256)
        return ChunkOutcome(received: upload.received, stored: true)
    }

    private func begin(key: String, totalSize: UInt64, owner: String, now: Date) throws {
        guard totalSize <= limits.maxBlobBytes else {
            throw UploadError.exhausted("a blob of \(totalSize) bytes is larger than this coordinator takes (\(limits.maxBlobBytes) bytes)")
        }
        let prefix = Self.ownerFolderName(owner) + "-"
        let open = partials.keys.filter { $0.hasPrefix(prefix) }.count
        guard open < limits.maxOpenUploadsPerOwner else {
            throw UploadError.exhausted("\(open) uploads of this key are open already (at most \(limits.maxOpenUploadsPerOwner)); finish them first")
        }
        if let free = Self.freeBytes(at: partial.path), free < totalSize + limits.reservedBytes {
            throw UploadError.exhausted("not enough space in the coordinator's state folder for \(totalSize) bytes (\(free) free, \(limits.reservedBytes) kept free)")
        }
        let path = partial.appendingPathComponent(key).path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let file = FileHandle(forWritingAtPath: path) else {
            throw UploadError.io("cannot create \(path)")
        }
        partials[key] = Partial(file: file, path: path, total: totalSize, touched: now)
    }

    private func finish(_ upload: Partial, sha256: String) throws {
        let name = BlobName.of(upload.hasher)
        guard upload.received == upload.total else {
            discard(upload)
            throw UploadError.invalid("the last chunk of \(sha256) ends at \(upload.received) of the \(upload.total) bytes announced")
        }
        guard name == sha256 else {
            discard(upload)
            throw UploadError.invalid("the bytes sent as \(sha256) hash to \(name); nothing was stored")
        }
        do {
            try upload.file.synchronize()
            try upload.file.close()
        } catch {
            discard(upload)
            throw UploadError.io("cannot write upload \(sha256): \(error)")
        }
        chmod(upload.path, 0o444)
        guard rename(upload.path, blobPath(sha256)) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: upload.path)
            throw UploadError.io("cannot store upload \(sha256): \(reason)")
        }
    }

    private func discard(_ upload: Partial) {
        try? upload.file.close()
        try? FileManager.default.removeItem(atPath: upload.path)
    }

    private func dropIdle(now: Date) {
        for (key, upload) in partials where now.timeIntervalSince(upload.touched) > limits.idleSeconds {
            partials.removeValue(forKey: key)
            discard(upload)
        }
    }

    /// Bytes free to an unprivileged user on the file system holding `path` (nil when unknown).
    static func freeBytes(at path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    // MARK: Checkouts

    /// Lays `files` (checkout path, blob name) out in checkout `id` of `owner` (a new one when `id` is
    /// empty); returns the id and the checkout's folder. A path already laid out must hold the same blob.
    func checkout(owner: String, id: String, files: [(path: String, sha256: String)]) throws -> (id: String, root: String) {
        guard files.count <= limits.maxFilesPerMessage else {
            throw UploadError.exhausted("\(files.count) files in one checkout message; at most \(limits.maxFilesPerMessage)")
        }
        let ownerFolder = checkouts.appendingPathComponent(Self.ownerFolderName(owner), isDirectory: true)
        let checkoutID: String
        if id.isEmpty {
            checkoutID = Self.newCheckoutID()
        } else {
            guard BlobName.isHex(id, digits: 32) else {
                throw UploadError.invalid("\(id.prefix(80).debugDescription) is not a checkout id")
            }
            guard FileManager.default.fileExists(atPath: ownerFolder.appendingPathComponent(id).path) else {
                throw UploadError.notFound("no checkout \(id) of this key")
            }
            checkoutID = id
        }
        let folder = ownerFolder.appendingPathComponent(checkoutID, isDirectory: true)
        guard CheckoutLayout.isUsableRoot(folder.path) else {
            throw UploadError.exhausted("uploads are off on this coordinator: its state folder \(folder.path) holds #, % or $, which frame patterns cannot hold")
        }
        let laidOut = checkoutFiles[checkoutID] ?? 0
        guard laidOut + files.count <= limits.maxFilesPerCheckout else {
            throw UploadError.exhausted("a checkout holds at most \(limits.maxFilesPerCheckout) files")
        }
        // Every path and name is checked before anything is made.
        let checked = try files.map { file -> (components: [Substring], sha256: String) in
            guard BlobName.isValid(file.sha256) else {
                throw UploadError.invalid("\(file.sha256.prefix(80).debugDescription) (for \(file.path.prefix(200).debugDescription)) is not a blob name")
            }
            do { return (try CheckoutLayout.components(of: file.path), file.sha256) } catch let error as CheckoutPathError {
                throw UploadError.invalid(error.description)
            }
        }
        if id.isEmpty {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw UploadError.io("cannot create checkout \(folder.path): \(error)")
            }
        }
        for file in checked {
            try place(file.sha256, at: file.components, in: folder)
        }
        checkoutFiles[checkoutID] = laidOut + files.count
        return (checkoutID, folder.path)
    }

    private func place(_ sha256: String, at components: [Substring], in folder: URL) throws {
        let source = blobPath(sha256)
        var sourceInfo = stat()
        guard stat(source, &sourceInfo) == 0 else {
            throw UploadError.notFound("blob \(sha256) (for \(components.joined(separator: "/"))) is not in the upload store; upload it first")
        }
        var directory = folder.path
        for part in components.dropLast() {
            directory += "/" + part
            // Only this store makes entries under a checkout, and only folders and hard links: no symlink
            // can be on the way. An existing file where a folder must be fails here.
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw UploadError.io("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
        let target = directory + "/" + components[components.count - 1]
        if link(source, target) == 0 { return }
        guard errno == EEXIST else {
            throw UploadError.io("cannot link \(target): \(String(cString: strerror(errno)))")
        }
        var targetInfo = stat()
        guard lstat(target, &targetInfo) == 0, targetInfo.st_ino == sourceInfo.st_ino, targetInfo.st_dev == sourceInfo.st_dev else {
            throw UploadError.invalid("\(components.joined(separator: "/")) is already in this checkout with other content")
        }
    }

    private static func newCheckoutID() -> String {
        var generator = SystemRandomNumberGenerator()
        return BlobName.hex((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
