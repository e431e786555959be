import ArgumentParser
import Coordinator
import Foundation
import HTTPAPI
import Protocol

/// `stylefarm token`: the bearer tokens of the coordinator's HTTP API, in `<state-dir>/keys/http_tokens`
/// (docs/HTTP.md). Run on the coordinator's machine; a running coordinator sees new and revoked tokens within a
/// second.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, revoke and list the HTTP API's bearer tokens.",
        subcommands: [Create.self, Revoke.self, List.self])

    struct Folder: ParsableArguments {
        @Option(help: "The coordinator's state folder (tokens are in <state-dir>/keys/http_tokens).")
        var stateDir: String = "stylefarm-state"

        var file: APITokenFile { APITokenFile(stateDirectory: URL(fileURLWithPath: stateDir)) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it (only its SHA-256 is stored: this is the only time it is shown).",
            discussion: "Send it as `Authorization: Bearer <token>`. A submitter token owns the jobs it submits, as a submitter key of the same name does; an admin token may do everything; a viewer token reads everything and changes nothing.")

        @OptionGroup var folder: Folder

        @Option(help: "Who the token belongs to: 1…64 of letters, digits, . _ - @ (shown as the owner of the jobs it submits).")
        var name: String

        @Option(help: "submitter (its own jobs), admin (everything) or viewer (read only).")
        var role: FarmRole

        func run() throws {
            let file = folder.file
            let token: String
            do { token = try file.update { try $0.create(name: name, role: role) } } catch let error as APITokenError {
                throw ValidationError(error.description)
            }
            FileHandle.standardError.write(Data("stylefarm token: made a \(role.rawValue) token for \(name) in \(file.path)\n".utf8))
            print(token)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove every token of a name (requests with them are refused within a second).")

        @OptionGroup var folder: Folder

        @Option(help: "The name whose tokens go.")
        var name: String

        func run() throws {
            let removed = try folder.file.update { $0.revoke(name: name) }
            guard removed > 0 else { throw ValidationError("no token is named \(name)") }
            print("revoked \(removed) token(s) of \(name)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens' names and roles (the tokens themselves are not stored).")

        @OptionGroup var folder: Folder

        func run() throws {
            let tokens = folder.file.current()
            for problem in folder.file.problems { FileHandle.standardError.write(Data("stylefarm token: \(problem)\n".utf8)) }
            for entry in tokens.entries { print("\(entry.role.rawValue)\t\(entry.name)") }
        }
    }
}
