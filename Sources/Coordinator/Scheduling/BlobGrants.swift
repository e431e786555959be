import Foundation

/// Which blobs each worker may fetch (issue 17): the ones named in the assignments of the tasks it holds,
/// and no others. A worker key can no longer read any file the coordinator serves by asking for its hash;
/// a `BlobRequest` for anything else is answered `not_found`. No I/O.
struct BlobGrants {
    /// worker → task → the blob names its assignment carries.
    private var byWorker: [String: [String: Set<String>]] = [:]

    /// Worker `workerID` was sent task `taskID`, whose assignment names `hashes`.
    mutating func grant(_ hashes: Set<String>, task taskID: String, to workerID: String) {
        guard !hashes.isEmpty else { return }
        byWorker[workerID, default: [:]][taskID] = hashes
    }

    /// The task left the worker (finished, failed, cancelled, requeued).
    mutating func end(task taskID: String, of workerID: String) {
        byWorker[workerID]?[taskID] = nil
        if byWorker[workerID]?.isEmpty == true { byWorker[workerID] = nil }
    }

    /// The worker holds nothing any more (dead, restarted).
    mutating func endAll(of workerID: String) { byWorker[workerID] = nil }

    /// Whether `workerID` may fetch `sha`.
    func allows(_ sha: String, to workerID: String) -> Bool {
        byWorker[workerID]?.values.contains { $0.contains(sha) } ?? false
    }

    /// Every blob name in a message's serialized bytes: a string field of 64 lowercase hex digits is, in the
    /// protobuf wire format, its length byte 0x40 followed by the 64 characters as they are. So this finds
    /// the hashes of every field of an assignment, present and future, without a list of fields to keep up
    /// to date (a 64-digit string that is not a hash only grants a name nobody serves).
    static func hashes(inSerialized bytes: Data) -> Set<String> {
        var found = Set<String>()
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            guard b.count > 64 else { return }
            var i = 0
            while i + 64 < b.count {
                guard b[i] == 0x40 else { i += 1; continue }
                var hex = true
                for k in (i + 1)...(i + 64) where !((b[k] >= 0x30 && b[k] <= 0x39) || (b[k] >= 0x61 && b[k] <= 0x66)) {
                    hex = false
                    break
                }
                if hex {
                    found.insert(String(decoding: UnsafeRawBufferPointer(rebasing: raw[(i + 1)...(i + 64)]), as: UTF8.self))
                    i += 65
                } else {
                    i += 1
                }
            }
        }
        return found
    }
}
