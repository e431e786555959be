/// The farm's wire protocol (protobuf messages over ZeroMQ multipart frames) lives in this module.
/// The message definitions and the ZeroMQ transport arrive with the farm issue; until then the
/// module carries only the protocol version every peer will announce.
public enum ProtocolVersion {
    /// Wire protocol major version; peers with a different major version refuse each other.
    public static let major: UInt32 = 1
}
