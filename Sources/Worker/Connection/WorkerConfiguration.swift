import Foundation
import JobModel
import Protocol

/// Everything the worker's connection loop needs to know about itself and its coordinator.
public struct WorkerConfiguration: Sendable {
    /// The coordinator's worker endpoint, e.g. `tcp://farm:5555`.
    public var endpoint: String
    /// Stable id; also the DEALER routing id (1–255 bytes, not starting with a zero byte).
    public var workerID: String
    public var hostname: String
    public var cores: UInt32
    public var memoryBytes: UInt64
    public var engineVersion: String
    /// Installed model name → lowercase hex SHA-256 (may be empty).
    public var modelHashes: [String: String]
    /// Tasks run at once (one executor thread each).
    public var slots: Int
    /// Heartbeat interval and liveness until the coordinator's RegisterAck announces its own.
    public var heartbeatInterval: Duration
    public var heartbeatLiveness: Int
    /// Reconnect back-off: first delay, doubled after every failed connection, capped at `backoffMax`.
    public var backoffInitial: Duration
    public var backoffMax: Duration
    /// How long an executor thread waits for a missing input blob before failing (retryable MISSING_BLOB).
    public var blobTimeout: Duration
    /// Largest BlobData chunk this worker sends.
    public var blobChunkBytes: Int
    /// CurveZMQ: the coordinator's public key and this worker's key pair (a worker-role credential); nil:
    /// plain TCP (a coordinator run with `--insecure`).
    public var credential: Credential?
    /// The folders shared-filesystem tasks may read from and write to.
    public var pathPolicy = PathPolicy.unrestricted

    public init(endpoint: String, workerID: String = WorkerConfiguration.defaultWorkerID(),
                hostname: String = ProcessInfo.processInfo.hostName,
                cores: UInt32 = UInt32(ProcessInfo.processInfo.activeProcessorCount),
                memoryBytes: UInt64 = MemoryLimit.ofThisProcess(),
                engineVersion: String = "stylefarm-engine-1", modelHashes: [String: String] = [:], slots: Int = 1,
                heartbeatInterval: Duration = FarmDefaults.heartbeatInterval,
                heartbeatLiveness: Int = FarmDefaults.heartbeatLiveness,
                backoffInitial: Duration = .seconds(1), backoffMax: Duration = .seconds(32),
                blobTimeout: Duration = .seconds(60), blobChunkBytes: Int = FarmDefaults.blobChunkBytes,
                credential: Credential? = nil) {
        self.endpoint = endpoint
        self.workerID = workerID
        self.hostname = hostname
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.engineVersion = engineVersion
        self.modelHashes = modelHashes
        self.slots = max(1, slots)
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatLiveness = max(1, heartbeatLiveness)
        self.backoffInitial = backoffInitial
        self.backoffMax = max(backoffInitial, backoffMax)
        self.blobTimeout = blobTimeout
        self.blobChunkBytes = max(1, blobChunkBytes)
        self.credential = credential
    }

    /// `hostname-pid-random`, e.g. `render7-4242-1a2b3c4d`.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.prefix(200)
        return "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
    }

    /// The Register message for this worker.
    public var register: Stylefarm_V1_Register {
        var r = Stylefarm_V1_Register()
        r.workerID = workerID
        r.hostname = hostname
        r.cores = cores
        r.memoryBytes = memoryBytes
        r.engineVersion = engineVersion
        r.protocolVersion = ProtocolVersion.major
        r.modelHashes = modelHashes
        r.slots = UInt32(slots)
        return r
    }
}
