import Coordinator
import Foundation
import Hummingbird
import Protocol

/// An answer other than success: an HTTP status and the `ErrorJSON` body that says what to do.
struct APIError: Error, CustomStringConvertible {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    var description: String { "\(status.code) \(code): \(message)" }

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_argument", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: "not_found", message: message) }

    static let unauthorized = APIError(status: .unauthorized, code: "unauthenticated",
        message: "this coordinator needs a bearer token: send `Authorization: Bearer <token>` (stylefarm token create --role viewer|submitter|admin)")
    static let badToken = APIError(status: .unauthorized, code: "unauthenticated",
        message: "the bearer token is not (or no longer) one this coordinator issued; ask its operator for a new one")

    static func tooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, code: "too_large", message: "the request body is larger than \(limit) bytes (or was cut off)")
    }

    /// The coordinator's refusal, with the HTTP status of its code.
    init(_ error: Stylefarm_V1_ClientError) {
        message = error.message
        switch error.code {
        case .invalidArgument, .unsupportedVersion: status = .badRequest; code = "invalid_argument"
        case .notFound: status = .notFound; code = "not_found"
        case .failedPrecondition: status = .conflict; code = "failed_precondition"
        case .permissionDenied: status = .forbidden; code = "permission_denied"
        case .resourceExhausted: status = .serviceUnavailable; code = "resource_exhausted"
        case .internal, .unspecified, .UNRECOGNIZED: status = .internalServerError; code = "internal"
        }
    }

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status; self.code = code; self.message = message
    }
}
