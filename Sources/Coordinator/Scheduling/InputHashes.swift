import Foundation

/// The hashes of the input files that assignments name by hash (content frames, region masks, styles), and
/// the claims waiting for one. A file is read and hashed once, off the loop: a 4096×2160 frame is 25 MB to
/// read and hash, which the loop must not wait for on every frame's first task. A claim whose assignment
/// names a file not hashed yet is parked here; when the hash is back (`hashed(_:entry:)`) it is built again.
/// No I/O: the caller hashes, sends and checks the store.
struct InputHashes {
    /// A hashed file.
    struct Entry: Sendable, Equatable {
        var sha: String
        var size: Int
    }

    /// A claimed task whose assignment waits for `path`'s hash; `workerID` holds its credit.
    struct Parked: Equatable {
        var claim: TaskClaim
        var workerID: String
        var path: String
    }

    private var known: [String: Entry] = [:]
    private var hashing: Set<String> = []
    private(set) var parked: [Parked] = []

    /// `path`'s hash, if known.
    func entry(for path: String) -> Entry? { known[path] }

    /// How many files are being hashed now.
    var inFlight: Int { hashing.count }

    /// Parks `claim` (claimed for `workerID`) until `path` is hashed. Returns true when the caller must start
    /// hashing `path` (it is neither known nor being hashed); false when another claim already waits on it.
    mutating func park(_ claim: TaskClaim, for workerID: String, waitingOn path: String) -> Bool {
        parked.append(Parked(claim: claim, workerID: workerID, path: path))
        guard known[path] == nil else { return false }
        return hashing.insert(path).inserted
    }

    /// `path` was hashed (`entry`), or could not be read (nil: it is hashed again when a claim next needs it).
    /// Returns the claims that waited for it, in the order they were parked.
    mutating func hashed(_ path: String, entry: Entry?) -> [Parked] {
        hashing.remove(path)
        if let entry { known[path] = entry }
        let waiting = parked.filter { $0.path == path }
        parked.removeAll { $0.path == path }
        return waiting
    }

    /// Forgets the claims parked for `workerID` (it died, or registered again: the store requeued them).
    @discardableResult
    mutating func dropParked(ofWorker workerID: String) -> [Parked] {
        let dropped = parked.filter { $0.workerID == workerID }
        parked.removeAll { $0.workerID == workerID }
        return dropped
    }
}

/// An input file's hash (or why it could not be read), computed off the loop.
struct HashedInput: Sendable {
    var path: String
    var entry: InputHashes.Entry?
    var error: String?
}

/// An assignment names `path` by hash and its hash is not known yet: the claim is parked (`InputHashes`).
struct InputNotHashed: Error {
    var path: String
}
