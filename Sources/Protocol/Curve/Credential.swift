import Foundation

/// What a worker or a client needs to reach a coordinator that uses CurveZMQ: the coordinator's public key,
/// and its own name, role and key pair. Kept in a text file of `key: value` lines, mode 0600 (it holds a
/// secret key), made by `stylefarm keys create` or by the coordinator on first start (`admin.credential`).
public struct Credential: Sendable, Equatable {
    /// Who the key belongs to, as the coordinator's logs and job owners show it.
    public var name: String
    public var role: FarmRole
    /// The coordinator's public key (Z85).
    public var coordinatorKey: String
    public var keys: CurveKeyPair

    public init(name: String, role: FarmRole, coordinatorKey: String, keys: CurveKeyPair) {
        self.name = name; self.role = role; self.coordinatorKey = coordinatorKey; self.keys = keys
    }

    /// The environment variable client commands and workers read a credential path from.
    public static let environmentVariable = "STYLEFARM_CREDENTIAL"

    /// The most bytes a credential file may have (a real one has about 250).
    static let maxBytes = 4096

    /// A name is 1…64 characters of letters, digits, `.`, `_`, `-` and `@` (it is written into lists and logs).
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0)) }
    }

    /// Reads a credential file, refusing one that others may read (as ssh refuses such a private key).
    /// A symbolic link is judged by the file it names (a Kubernetes Secret volume mounts each key as a link).
    public static func read(path: String) throws -> Credential {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CurveKeyError.unreadableCredential(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_size <= maxBytes else {
            throw CurveKeyError.unreadableCredential(path: path, reason: "larger than \(maxBytes) bytes")
        }
        let mode = Int(info.st_mode & 0o777)
        if mode & 0o077 != 0 { throw CurveKeyError.credentialTooOpen(path: path, mode: mode) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CurveKeyError.unreadableCredential(path: path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CurveKeyError.unreadableCredential(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses a credential's text (`path` names it in errors).
    public static func parse(_ text: String, path: String) throws -> Credential {
        var fields: [String: (value: String, line: Int)] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw CurveKeyError.malformedCredential(path: path, line: number + 1, reason: "expected `key: value`")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard ["name", "role", "coordinator", "public", "secret"].contains(key) else {
                throw CurveKeyError.malformedCredential(path: path, line: number + 1, reason: "unknown key `\(key)`")
            }
            guard fields[key] == nil else {
                throw CurveKeyError.malformedCredential(path: path, line: number + 1, reason: "`\(key)` given twice")
            }
            fields[key] = (line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces), number + 1)
        }
        func field(_ key: String) throws -> (value: String, line: Int) {
            guard let found = fields[key] else { throw CurveKeyError.malformedCredential(path: path, line: 0, reason: "no `\(key)` line") }
            return found
        }
        let name = try field("name"), role = try field("role"), coordinator = try field("coordinator")
        let publicKey = try field("public"), secret = try field("secret")
        guard isValidName(name.value) else {
            throw CurveKeyError.malformedCredential(path: path, line: name.line, reason: "name must be 1…64 of letters, digits, . _ - @")
        }
        guard let parsedRole = FarmRole(rawValue: role.value) else {
            throw CurveKeyError.malformedCredential(path: path, line: role.line,
                                                    reason: "role must be one of \(FarmRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard CurveKeyPair.isKey(coordinator.value) else {
            throw CurveKeyError.malformedCredential(path: path, line: coordinator.line, reason: "not a CurveZMQ public key")
        }
        let keys: CurveKeyPair
        do { keys = try CurveKeyPair(secretKey: secret.value) } catch {
            throw CurveKeyError.malformedCredential(path: path, line: secret.line, reason: "not a CurveZMQ secret key")
        }
        guard keys.publicKey == publicKey.value else {
            throw CurveKeyError.malformedCredential(path: path, line: publicKey.line, reason: "the public key is not the secret key's")
        }
        return Credential(name: name.value, role: parsedRole, coordinatorKey: coordinator.value, keys: keys)
    }

    /// The file's text.
    public var text: String {
        """
        # StyleFarm credential of "\(name)" (role \(role.rawValue)). It holds a secret key: keep it mode 0600.
        name: \(name)
        role: \(role.rawValue)
        coordinator: \(coordinatorKey)
        public: \(keys.publicKey)
        secret: \(keys.secretKey)

        """
    }

    /// Writes the file, created new with mode 0600 (`O_EXCL`: an existing file is never replaced).
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw CurveKeyError.unreadableCredential(path: path, reason: "cannot create it: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }
}
