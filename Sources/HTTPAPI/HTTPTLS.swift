import Foundation
import HummingbirdTLS

/// TLS for the coordinator's HTTP server (`--http-tls-cert`, `--http-tls-key`): a PEM certificate chain (the
/// server's certificate first, then its intermediates) and its PEM private key, as a studio's internal CA or
/// Let's Encrypt issues them. With TLS, `--http` may bind a network address: tokens and job data are encrypted.
/// TLS 1.2 is the oldest version offered; NIOSSL's (BoringSSL's) default cipher suites.
public struct HTTPTLS: Sendable, Equatable {
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }

    /// The server's TLS configuration, read from the two files. Refuses a key other users may read (as ssh does
    /// with its keys): a private key readable by the group or by others is not private.
    func serverConfiguration() throws -> TLSConfiguration {
        var info = stat()
        guard stat(privateKeyPath, &info) == 0 else {
            throw HTTPAPIError.badTLS(privateKeyPath, String(cString: strerror(errno)))
        }
        guard info.st_mode & 0o077 == 0 else {
            throw HTTPAPIError.badTLS(privateKeyPath, String(format: "the private key is readable by other users (mode %03o); chmod 600 it", info.st_mode & 0o777))
        }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath) } catch {
            throw HTTPAPIError.badTLS(certificateChainPath, "not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw HTTPAPIError.badTLS(certificateChainPath, "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem) } catch {
            throw HTTPAPIError.badTLS(privateKeyPath, "not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
