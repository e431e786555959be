import Foundation
import Protocol

/// The ZAP handler (ZeroMQ RFC 27) on the loop: libzmq asks on `inproc://zeromq.zap.01` for every CurveZMQ
/// handshake, and `ZAPPolicy` answers from the authorized keys as they are now. Refusals are logged, at most
/// once a minute per key and address.
extension CoordinatorServer {
    func answerZAP() {
        guard let zap, let authorizedKeys else { return }
        var budget = 1000
        while budget > 0, let frames = try? zap.receiveMultipart(timeout: .zero) {
            budget -= 1
            let reply = ZAPPolicy.decide(frames, keys: authorizedKeys.current())
            if !reply.accepted {
                stats.drop("unauthorized")
                let address = frames.count > 3 ? String(decoding: frames[3], as: UTF8.self) : "?"
                let key = "\(reply.statusText)|\(address)"
                let now = clock.now()
                if refusalsLogged[key].map({ now.timeIntervalSince($0) >= 60 }) ?? true {
                    refusalsLogged[key] = now
                    if refusalsLogged.count > 10_000 { refusalsLogged = [key: now] }
                    log("refused a connection from \(address): \(reply.statusText)")
                }
            }
            do { try zap.send(multipart: reply.frames) } catch { log("could not answer a ZAP request: \(error)") }
        }
    }
}
