import Coordinator
import Foundation

/// Job details already encoded as JSON, each with the job's version in the store when it was read and its owner
/// (for the access check a kept answer still gets): a job page polled by many browsers is read and encoded once
/// per change of the job. At most `limit` jobs are kept.
final class EncodedDetails: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (version: JobVersion, owner: String, json: Data)] = [:]
    let limit: Int

    init(limit: Int = 64) { self.limit = limit }

    func get(_ jobID: String, at version: JobVersion) -> (owner: String, json: Data)? {
        lock.withLock {
            guard let entry = entries[jobID], entry.version == version else { return nil }
            return (entry.owner, entry.json)
        }
    }

    func put(_ jobID: String, at version: JobVersion, owner: String, json: Data) {
        lock.withLock {
            if entries.count >= limit && entries[jobID] == nil { entries.removeAll(keepingCapacity: true) }
            entries[jobID] = (version, owner, json)
        }
    }
}
