import CZMQ
import Foundation

/// CurveZMQ on a socket (ZeroMQ RFC 26). Set before `bind`/`connect`: a handshake uses what was set then.
extension Socket {
    /// The server side: this socket proves `keys` and encrypts every connection. Each client's public key is
    /// checked by the ZAP handler of the socket's context (`inproc://zeromq.zap.01`) under `domain`.
    public func makeCurveServer(keys: CurveKeyPair, zapDomain domain: String) throws {
        try setString(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", domain)
        try set(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", int32: 1)
        try setString(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", keys.secretKey)
    }

    /// The client side: this socket talks only to the server whose public key is `serverKey`, as `keys`.
    public func makeCurveClient(serverKey: String, keys: CurveKeyPair) throws {
        guard CurveKeyPair.isKey(serverKey) else { throw CurveKeyError.malformedKey(what: "coordinator's public key") }
        try setString(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", serverKey)
        try setString(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", keys.publicKey)
        try setString(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", keys.secretKey)
    }

    private func setString(_ option: Int32, _ name: String, _ value: String) throws {
        let op = "zmq_setsockopt(\(name))"
        let h = try live(op)
        let bytes = Array(value.utf8)
        guard zmq_setsockopt(h, option, bytes, bytes.count) == 0 else { throw ZMQError.last(op) }
    }
}
