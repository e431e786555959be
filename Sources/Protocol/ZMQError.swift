/// A failed libzmq call: the errno it left and libzmq's text for it (`zmq_strerror`).
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The errno value (`zmq_errno()`), e.g. `EHOSTUNREACH`, `EAGAIN`, or libzmq's own `ETERM`.
    public var code: Int32
    /// The libzmq function (and argument) that failed, e.g. `zmq_bind(tcp://127.0.0.1:5555)`.
    public var operation: String
    /// `zmq_strerror(code)`.
    public var message: String

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message) (errno \(code))" }
}
