import ArgumentParser
import Foundation
import Protocol

/// The credential a worker or a client command uses: `--credential FILE`, else `$STYLEFARM_CREDENTIAL`, else
/// none (plain TCP: only a coordinator run with `--insecure` answers). Its role must fit the command.
enum CredentialFile {
    static let help = ArgumentHelp(
        "Credential file: the coordinator's public key and this side's key pair (default: $\(Credential.environmentVariable)).",
        discussion: "Made by `stylefarm keys create` on the coordinator's machine, or its <state-dir>/keys/admin.credential. Without one, only a coordinator run with --insecure answers.")

    static func load(_ explicit: String?, for roles: Set<FarmRole>, command: String) throws -> Credential? {
        let fromEnvironment = ProcessInfo.processInfo.environment[Credential.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = explicit ?? fromEnvironment else { return nil }
        let credential: Credential
        do { credential = try Credential.read(path: path) } catch { throw CredentialFileError(message: "\(error)") }
        guard roles.contains(credential.role) else {
            let wanted = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw CredentialFileError(message: "the credential \(path) (\(credential.name)) has role \(credential.role.rawValue); `stylefarm \(command)` needs a credential of role \(wanted)")
        }
        return credential
    }
}

/// A credential that cannot be used here; the message says why and what to do.
struct CredentialFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
