import Foundation
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// The worker's content-addressed blob store on disk: input frames, style images and targets, outputs.
///
/// A blob lives at `<root>/ab/cd/abcd…` (its lowercase hex SHA-256, fanned out by the first two byte
/// pairs). Writes go to `<root>/tmp/` and are renamed into place, so a crash never leaves a partial blob
/// under a valid name; reads re-hash the bytes, and a file that no longer matches its name is deleted and
/// reported as missing. The store is bounded by `maxBytes`: after a `put`, least recently used blobs are
/// evicted until the total fits, except pinned ones (inputs of running tasks) and the blob just written.
/// When only pinned blobs remain the store may exceed the bound until they are unpinned. Opening a folder
/// rebuilds the index from the files there (recency from their modification times, which `get` refreshes).
///
/// All methods are thread-safe.
public final class BlobCache: BlobSource, @unchecked Sendable {
    /// The folder the blobs live in.
    public let root: String
    /// The size bound in bytes.
    public let maxBytes: Int

    private struct Entry {
        var size: Int
        var lastAccess: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var pins: [String: Int] = [:]
    private var tick: UInt64 = 0
    private var total = 0

    /// Opens (creating it if needed) the store in `root`, bounded by `maxBytes`.
    public init(root: String, maxBytes: Int) throws {
        self.root = root
        self.maxBytes = maxBytes
        try Self.makeDirectory(root + "/tmp")
        // Leftovers of interrupted writes.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
            unlink(root + "/tmp/" + name)
        }
        try rebuildIndex()
    }

    /// Total bytes of the stored blobs.
    public var totalBytes: Int { lock.withLock { total } }

    /// The stored blob names, least recently used first.
    public var hashesByRecency: [String] {
        lock.withLock { entries.sorted { ($0.value.lastAccess, $0.key) < ($1.value.lastAccess, $1.key) }.map(\.key) }
    }

    /// Whether the blob is stored (without reading or verifying it).
    public func contains(_ sha256: String) -> Bool {
        lock.withLock { entries[sha256] != nil }
    }

    /// Stores `bytes` and returns their SHA-256 name. When `expected` is given the bytes must hash to it
    /// (`BlobStoreError.hashMismatch` otherwise). Storing a blob that is already there only refreshes it.
    @discardableResult
    public func put(_ bytes: [UInt8], expecting expected: String? = nil) throws -> String {
        let hash = BlobName.of(bytes)
        if let expected, expected != hash { throw BlobStoreError.hashMismatch(expected: expected, actual: hash) }
        let path = self.path(for: hash)
        lock.lock()
        defer { lock.unlock() }
        if entries[hash] != nil, FileManager.default.fileExists(atPath: path) {
            touch(hash, path: path)
            return hash
        }
        try Self.makeDirectory((path as NSString).deletingLastPathComponent)
        let temporary = root + "/tmp/" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw BlobStoreError.io(path: temporary, reason: "cannot write (\(String(cString: strerror(errno))))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw BlobStoreError.io(path: path, reason: "cannot rename into place (\(reason))")
        }
        if let old = entries[hash] { total -= old.size }
        tick += 1
        entries[hash] = Entry(size: bytes.count, lastAccess: tick)
        total += bytes.count
        evict(keeping: hash)
        return hash
    }

    /// The bytes of a stored blob, or nil when it is not stored. A blob whose bytes no longer match its
    /// name is deleted and reported as missing. Throws `invalidHash` for a malformed name.
    public func get(_ sha256: String) throws -> [UInt8]? {
        guard BlobName.isValid(sha256) else { throw BlobStoreError.invalidHash(sha256) }
        let path = self.path(for: sha256)
        lock.lock()
        defer { lock.unlock() }
        guard entries[sha256] != nil else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            forget(sha256)
            return nil
        }
        let bytes = [UInt8](data)
        guard BlobName.of(bytes) == sha256 else {
            unlink(path)
            forget(sha256)
            return nil
        }
        touch(sha256, path: path)
        return bytes
    }

    /// `BlobSource`: the bytes, or `BlobStoreError.missing`.
    public func blob(_ sha256: String) throws -> [UInt8] {
        guard let bytes = try get(sha256) else { throw BlobStoreError.missing(sha256) }
        return bytes
    }

    /// Protects a blob from eviction until a matching `unpin` (pins nest). Pinning an absent blob is
    /// allowed: it protects the blob once it is put.
    public func pin(_ sha256: String) {
        lock.withLock { pins[sha256, default: 0] += 1 }
    }

    /// Releases one `pin`; the blob becomes evictable when its last pin is released.
    public func unpin(_ sha256: String) {
        lock.withLock {
            guard let n = pins[sha256] else { return }
            pins[sha256] = n > 1 ? n - 1 : nil
            evict(keeping: nil)
        }
    }

    /// Removes a blob (no-op when absent).
    public func remove(_ sha256: String) throws {
        guard BlobName.isValid(sha256) else { throw BlobStoreError.invalidHash(sha256) }
        lock.withLock {
            unlink(path(for: sha256))
            forget(sha256)
        }
    }

    /// The file of a blob name.
    func path(for hash: String) -> String {
        let u = Array(hash.utf8)
        let first = String(decoding: u.prefix(2), as: UTF8.self)
        let second = String(decoding: u.dropFirst(2).prefix(2), as: UTF8.self)
        return "\(root)/\(first)/\(second)/\(hash)"
    }

    // MARK: - Private (callers hold the lock)

    private func touch(_ hash: String, path: String) {
        tick += 1
        entries[hash]?.lastAccess = tick
        utimes(path, nil)  // recency for the next process; best effort
    }

    private func forget(_ hash: String) {
        if let old = entries.removeValue(forKey: hash) { total -= old.size }
    }

    private func evict(keeping kept: String?) {
        guard total > maxBytes else { return }
        let candidates = entries.filter { $0.key != kept && pins[$0.key] == nil }
            .sorted { ($0.value.lastAccess, $0.key) < ($1.value.lastAccess, $1.key) }
        for (hash, _) in candidates where total > maxBytes {
            unlink(path(for: hash))
            forget(hash)
        }
    }

    private func rebuildIndex() throws {
        let fm = FileManager.default
        var found: [(hash: String, size: Int, modified: Date)] = []
        for first in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where first.utf8.count == 2 {
            for second in (try? fm.contentsOfDirectory(atPath: root + "/" + first)) ?? [] where second.utf8.count == 2 {
                let folder = root + "/" + first + "/" + second
                for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] {
                    let file = folder + "/" + name
                    guard BlobName.isValid(name), name.hasPrefix(first + second),
                          let attributes = try? fm.attributesOfItem(atPath: file),
                          attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                    found.append((name, size, attributes[.modificationDate] as? Date ?? .distantPast))
                }
            }
        }
        found.sort { ($0.modified, $0.hash) < ($1.modified, $1.hash) }
        for blob in found {
            tick += 1
            entries[blob.hash] = Entry(size: blob.size, lastAccess: tick)
            total += blob.size
        }
        evict(keeping: nil)
    }

    private static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw BlobStoreError.io(path: path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
    }
}
