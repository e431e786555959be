import Coordinator
import Foundation
import Protocol

/// The bearer tokens the HTTP API accepts (docs/HTTP.md): `<state>/keys/http_tokens`, one `<role> <sha256> <name>`
/// per line, `#` comments. Only a token's SHA-256 is stored; the token itself is shown once, when it is made
/// (`stylefarm token create`). A token acts as a client key of the same role and name would on the ZeroMQ
/// channel: a submitter owns the jobs it submits, an admin may do everything, a viewer may only read.
public struct APITokens: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var role: FarmRole
        /// SHA-256 of the token, 64 lowercase hex digits.
        public var hash: String
        public var name: String
    }

    public private(set) var entries: [Entry] = []

    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// The file's name in the key folder.
    public static let fileName = "http_tokens"
    /// What every token starts with (so a leaked one is recognisable, e.g. by secret scanners).
    public static let prefix = "sft_"

    /// Parses the file's text; a line that is not an entry is left out and described in `problems`.
    public static func parse(_ text: String) -> (tokens: APITokens, problems: [String]) {
        var entries: [Entry] = []
        var problems: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 3 else { problems.append("line \(number + 1): expected `<role> <sha256> <name>`"); continue }
            guard let role = FarmRole(rawValue: fields[0]), role != .worker else {
                problems.append("line \(number + 1): role must be submitter, admin or viewer"); continue
            }
            guard BlobName.isValid(fields[1]) else { problems.append("line \(number + 1): not a SHA-256 in hex"); continue }
            guard Credential.isValidName(fields[2]) else { problems.append("line \(number + 1): bad name"); continue }
            entries.append(Entry(role: role, hash: fields[1], name: fields[2]))
        }
        return (APITokens(entries), problems)
    }

    /// The file's text.
    public var text: String {
        "# StyleFarm HTTP API tokens: <role> <sha256 of the token> <name> (stylefarm token create/revoke)\n"
            + entries.map { "\($0.role.rawValue) \($0.hash) \($0.name)\n" }.joined()
    }

    /// The identity a presented token stands for, or nil when it is not (or no longer) listed.
    public func identity(forToken token: String) -> ClientIdentity? {
        let hash = Self.hash(token)
        return entries.first(where: { $0.hash == hash }).map { ClientIdentity(role: $0.role, name: $0.name) }
    }

    public static func hash(_ token: String) -> String { BlobName.of(Data(token.utf8)) }

    /// A new random token (256 bits).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// Adds a token for `name` with `role` and returns it (the only time it is seen).
    public mutating func create(name: String, role: FarmRole) throws -> String {
        guard role != .worker else { throw APITokenError.workerRole }
        guard Credential.isValidName(name) else { throw APITokenError.badName(name) }
        let token = Self.generate()
        entries.append(Entry(role: role, hash: Self.hash(token), name: name))
        return token
    }

    /// Drops every token of `name`; returns how many.
    @discardableResult
    public mutating func revoke(name: String) -> Int {
        let before = entries.count
        entries.removeAll { $0.name == name }
        return before - entries.count
    }
}

public enum APITokenError: Error, CustomStringConvertible, Equatable {
    case workerRole
    case badName(String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .workerRole: return "a token's role is submitter, admin or viewer; workers use key credentials (stylefarm keys create --role worker)"
        case .badName(let name): return "token name \(name.debugDescription) must be 1…64 of letters, digits, . _ - @"
        case .unwritable(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// The token file on disk: read again when it changes (a revoked token stops working within a second), written
/// atomically with mode 0600.
public final class APITokenFile: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var cached = APITokens()
    private var modified: Date?
    private var checked = Date.distantPast
    /// Problems of the file's last read (logged by the caller).
    public private(set) var problems: [String] = []

    public init(path: String) { self.path = path }

    /// `<state>/keys/http_tokens`.
    public convenience init(stateDirectory: URL) {
        self.init(path: stateDirectory.appendingPathComponent("keys").appendingPathComponent(APITokens.fileName).path)
    }

    /// The tokens as the file says now (re-read at most once a second, when its modification time changed).
    public func current(now: Date = Date()) -> APITokens {
        lock.withLock {
            if now.timeIntervalSince(checked) >= 1 {
                checked = now
                let stamp = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
                if stamp != modified {
                    modified = stamp
                    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                    (cached, problems) = APITokens.parse(text)
                }
            }
            return cached
        }
    }

    /// Reads, changes and writes the file (a CLI command; not while another writes it).
    public func update<T>(_ change: (inout APITokens) throws -> T) throws -> T {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var tokens = APITokens.parse(text).tokens
        let result = try change(&tokens)
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(APITokens.fileName).\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: temporary.path, contents: Data(tokens.text.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw APITokenError.unwritable(path: path, reason: "cannot create a file in its folder")
            }
            guard rename(temporary.path, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw APITokenError.unwritable(path: path, reason: reason)
            }
        } catch let error as APITokenError { throw error } catch {
            throw APITokenError.unwritable(path: path, reason: error.localizedDescription)
        }
        lock.withLock { modified = nil; checked = .distantPast }
        return result
    }
}
