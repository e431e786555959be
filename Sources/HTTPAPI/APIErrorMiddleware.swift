import Hummingbird

/// Answers what the router itself refuses (no such route, a method the route does not take) with the API's
/// error JSON, like every other error.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message: String
            switch error.status {
            case .notFound: message = "no route \(request.method.rawValue) \(request.uri.path); the API is described at /openapi.yaml"
            case .methodNotAllowed: message = "\(request.uri.path) does not take \(request.method.rawValue); see /openapi.yaml"
            default: message = error.body ?? error.status.reasonPhrase
            }
            let code = error.status == .notFound ? "not_found" : error.status.code < 500 ? "invalid_argument" : "internal"
            return APIHandlers.errorResponse(APIError(status: error.status, code: code, message: message))
        }
    }
}
