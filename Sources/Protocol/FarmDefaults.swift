/// Default endpoints, timings and limits of the farm protocol (docs/PROTOCOL.md); every one is
/// meant to be configurable by the coordinator and worker.
public enum FarmDefaults {
    /// The coordinator's ROUTER for workers.
    public static let workerEndpoint = "tcp://*:5555"
    /// The coordinator's ROUTER for clients (the CLI, scripts).
    public static let clientEndpoint = "tcp://*:5556"
    /// Both sides send a Heartbeat when they have sent nothing else for this long.
    public static let heartbeatInterval: Duration = .seconds(1)
    /// A peer is dead after this many intervals without any message from it.
    public static let heartbeatLiveness = 3
    /// Largest multipart message (all frames after the routing id) a peer accepts: 64 MiB.
    public static let maxMessageBytes = 64 << 20
    /// Most attachment frames after the protobuf body.
    public static let maxAttachments = 16
    /// Blob chunks (BlobData) above this size are split: 4 MiB.
    public static let blobChunkBytes = 4 << 20
    /// Uploads (`UploadChunk`, client channel) come in chunks of at most 512 KiB: the client socket takes
    /// frames of at most 1 MiB.
    public static let uploadChunkBytes = 512 << 10
}
