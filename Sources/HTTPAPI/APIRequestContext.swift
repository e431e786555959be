import Hummingbird

/// The per-request context of the HTTP API: Hummingbird's core storage only; the caller's identity is worked
/// out by the handler (`APIAuthenticator`), so a route cannot forget it.
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are job specs and small action arguments.
    var maxUploadSize: Int { HTTPAPIServer.maxBodyBytes }
}
