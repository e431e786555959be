import Engine
import Foundation
import Protocol

/// A coordinator's keys, in `<state>/keys` (docs/SECURITY.md): `coordinator.key` (its key pair, mode 0600),
/// `authorized_keys` (who may connect, `AuthorizedKeys`) and, made on first start, `admin.credential` (an
/// admin client's credential, mode 0600, as k3s writes an admin kubeconfig). `stylefarm keys` adds and
/// revokes credentials here; the running coordinator sees the change at the next connection.
public struct KeyFolder: Sendable {
    public let directory: URL
    /// The coordinator's key pair.
    public let coordinatorKeys: CurveKeyPair

    public var authorizedKeysPath: String { directory.appendingPathComponent("authorized_keys").path }
    public var adminCredentialPath: String { directory.appendingPathComponent("admin.credential").path }
    var coordinatorKeyPath: String { directory.appendingPathComponent("coordinator.key").path }

    /// The keys folder of the state folder `stateDirectory`, created with a new key pair, an admin credential
    /// and an authorized list holding the admin's key when it has no `coordinator.key` yet.
    /// - Returns: the folder and whether it was created now.
    public static func openOrCreate(stateDirectory: URL) throws -> (folder: KeyFolder, created: Bool) {
        let directory = stateDirectory.appendingPathComponent("keys", isDirectory: true)
        let keyPath = directory.appendingPathComponent("coordinator.key").path
        if FileManager.default.fileExists(atPath: keyPath) {
            let credential = try Credential.read(path: keyPath)
            return (KeyFolder(directory: directory, coordinatorKeys: credential.keys), false)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let keys = try CurveKeyPair.generate()
        // The coordinator's own key in the credential format (role admin: it is the farm's own identity).
        try Credential(name: "coordinator", role: .admin, coordinatorKey: keys.publicKey, keys: keys).write(to: keyPath)
        let folder = KeyFolder(directory: directory, coordinatorKeys: keys)
        if !FileManager.default.fileExists(atPath: folder.authorizedKeysPath) {
            try folder.writeAuthorized(AuthorizedKeys())
        }
        _ = try folder.createCredential(name: "admin", role: .admin, at: folder.adminCredentialPath)
        return (folder, true)
    }

    /// The authorized keys as the file says now.
    public func authorizedKeys() throws -> (keys: AuthorizedKeys, problems: [String]) {
        let text = try String(contentsOfFile: authorizedKeysPath, encoding: .utf8)
        return AuthorizedKeys.parse(text)
    }

    /// Makes a credential for `name` with `role`, writes it to `path` (new, mode 0600) and authorizes its key.
    public func createCredential(name: String, role: FarmRole, at path: String) throws -> Credential {
        guard Credential.isValidName(name) else { throw KeyFolderError.badName(name) }
        var keys = try authorizedKeys().keys
        guard keys.entries(named: name).isEmpty else { throw KeyFolderError.nameTaken(name) }
        let credential = Credential(name: name, role: role, coordinatorKey: coordinatorKeys.publicKey, keys: try CurveKeyPair.generate())
        try credential.write(to: path)
        keys.add(.init(role: role, publicKey: credential.keys.publicKey, name: name))
        try writeAuthorized(keys)
        return credential
    }

    /// Removes `name`'s keys from the authorized list; returns how many.
    public func revoke(name: String) throws -> Int {
        var keys = try authorizedKeys().keys
        let removed = keys.remove(named: name)
        if removed > 0 { try writeAuthorized(keys) }
        return removed
    }

    /// Replaces the authorized list atomically (a reader sees the old list or the new one).
    func writeAuthorized(_ keys: AuthorizedKeys) throws {
        try FileBytes.writeAtomically(Array(keys.text.utf8), to: authorizedKeysPath)
    }
}

/// Why `stylefarm keys` could not do what was asked.
public enum KeyFolderError: Error, Equatable, CustomStringConvertible {
    case badName(String)
    case nameTaken(String)

    public var description: String {
        switch self {
        case .badName(let name): return "\(name.debugDescription) is not a key name: 1…64 of letters, digits, . _ - @"
        case .nameTaken(let name): return "a key named \(name) is already authorized; revoke it first (stylefarm keys revoke --name \(name))"
        }
    }
}

/// The authorized keys a running coordinator checks a handshake against, read again when the file changes
/// (its modification time or size), so a revocation takes effect at the next connection without a restart.
/// Without a file (local mode) the list is fixed. A file that cannot be read keeps the last list read.
final class AuthorizedKeysSource {
    private let path: String?
    private var keys: AuthorizedKeys
    private var stamp: (Date, Int)?
    private let log: (String) -> Void

    init(fixed keys: AuthorizedKeys) {
        path = nil; self.keys = keys; log = { _ in }
    }

    init(path: String, log: @escaping (String) -> Void) {
        self.path = path; keys = AuthorizedKeys(); self.log = log
        _ = current()
    }

    /// The list as of now.
    func current() -> AuthorizedKeys {
        guard let path else { return keys }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? Int else {
            if stamp != nil { log("cannot read \(path); keeping the authorized keys read before") }
            return keys
        }
        if let stamp, stamp.0 == modified, stamp.1 == size { return keys }
        do {
            let (parsed, problems) = AuthorizedKeys.parse(try String(contentsOfFile: path, encoding: .utf8))
            for problem in problems { log("\(path): \(problem) (line ignored)") }
            keys = parsed
            stamp = (modified, size)
        } catch {
            log("cannot read \(path): \(error); keeping the authorized keys read before")
        }
        return keys
    }
}
