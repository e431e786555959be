import Foundation
import Protocol

/// The public keys a coordinator lets in, with the role and name of each (docs/SECURITY.md): the text of
/// `<state>/keys/authorized_keys`, one `<role> <public key> <name>` per line, `#` comments — like ssh's
/// `authorized_keys`. Removing a line revokes the key for every new connection.
public struct AuthorizedKeys: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var role: FarmRole
        /// Z85, 40 characters.
        public var publicKey: String
        public var name: String
        public init(role: FarmRole, publicKey: String, name: String) {
            self.role = role; self.publicKey = publicKey; self.name = name
        }
    }

    /// In file order.
    public private(set) var entries: [Entry] = []
    private var byKey: [String: Int] = [:]

    public init(_ entries: [Entry] = []) {
        for entry in entries { add(entry) }
    }

    /// Parses the file's text; a line that is not an entry is left out and described in `problems`
    /// (the coordinator logs them), so one bad line does not lock everyone out.
    public static func parse(_ text: String) -> (keys: AuthorizedKeys, problems: [String]) {
        var keys = AuthorizedKeys()
        var problems: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 3 else { problems.append("line \(number + 1): expected `<role> <public key> <name>`"); continue }
            guard let role = FarmRole(rawValue: fields[0]) else {
                problems.append("line \(number + 1): unknown role `\(fields[0])`"); continue
            }
            guard CurveKeyPair.isKey(fields[1]) else { problems.append("line \(number + 1): not a CurveZMQ public key"); continue }
            guard Credential.isValidName(fields[2]) else { problems.append("line \(number + 1): bad name"); continue }
            guard keys.entry(forKey: fields[1]) == nil else { problems.append("line \(number + 1): the key is listed twice"); continue }
            keys.add(Entry(role: role, publicKey: fields[1], name: fields[2]))
        }
        return (keys, problems)
    }

    /// The entry of a public key (Z85), if it is authorized.
    public func entry(forKey publicKey: String) -> Entry? { byKey[publicKey].map { entries[$0] } }

    /// The entries named `name`.
    public func entries(named name: String) -> [Entry] { entries.filter { $0.name == name } }

    public mutating func add(_ entry: Entry) {
        guard byKey[entry.publicKey] == nil else { return }
        byKey[entry.publicKey] = entries.count
        entries.append(entry)
    }

    /// Drops every entry named `name`; returns how many.
    @discardableResult
    public mutating func remove(named name: String) -> Int {
        let before = entries.count
        self = AuthorizedKeys(entries.filter { $0.name != name })
        return before - entries.count
    }

    /// The file's text.
    public var text: String {
        "# StyleFarm authorized keys: <role> <public key> <name>. Remove a line to revoke a key (new connections).\n"
            + entries.map { "\($0.role.rawValue) \($0.publicKey) \($0.name)\n" }.joined()
    }
}
