/// The farm's wire protocol: protobuf messages (`Generated/`, package `stylefarm.v1`) carried in
/// ZeroMQ multipart messages (`Framing`), over sockets wrapped by `Socket` (docs/PROTOCOL.md).
public enum ProtocolVersion {
    /// Wire protocol major version; peers with a different major version refuse each other.
    /// It is the third byte of every header frame and the `protocol_version` of Register/RegisterAck.
    public static let major: UInt32 = 1
}
