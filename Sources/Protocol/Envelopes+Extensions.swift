/// `ChannelMessage` conformances of the four generated envelopes, and shorthands for building them.

extension Stylefarm_V1_WorkerMessage: ChannelMessage {
    public static var channel: Channel { .workerToCoordinator }
    public var hasKnownPayload: Bool { payload != nil }

    /// An envelope holding `payload`.
    public init(_ payload: OneOf_Payload) {
        self.init()
        self.payload = payload
    }
}

extension Stylefarm_V1_CoordinatorMessage: ChannelMessage {
    public static var channel: Channel { .coordinatorToWorker }
    public var hasKnownPayload: Bool { payload != nil }

    /// An envelope holding `payload`.
    public init(_ payload: OneOf_Payload) {
        self.init()
        self.payload = payload
    }
}

extension Stylefarm_V1_ClientRequest: ChannelMessage {
    public static var channel: Channel { .clientRequest }
    public var hasKnownPayload: Bool { payload != nil }

    /// A request numbered `requestID` holding `payload`.
    public init(requestID: UInt64, _ payload: OneOf_Payload) {
        self.init()
        self.requestID = requestID
        self.payload = payload
    }
}

extension Stylefarm_V1_ClientReply: ChannelMessage {
    public static var channel: Channel { .clientReply }
    public var hasKnownPayload: Bool { payload != nil }

    /// The reply to request `requestID` holding `payload`.
    public init(requestID: UInt64, _ payload: OneOf_Payload) {
        self.init()
        self.requestID = requestID
        self.payload = payload
    }
}
