import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm keys`: the coordinator's CurveZMQ keys in `<state-dir>/keys` (docs/SECURITY.md). Run on the
/// coordinator's machine; a running coordinator sees added and revoked keys at the next connection.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, revoke and list the credentials a coordinator lets in.",
        subcommands: [Create.self, Revoke.self, List.self])

    struct Folder: ParsableArguments {
        @Option(help: "The coordinator's state folder (its keys are in <state-dir>/keys; made here if it has none yet).")
        var stateDir: String = "stylefarm-state"

        func open() throws -> KeyFolder {
            let (folder, created) = try KeyFolder.openOrCreate(stateDirectory: URL(fileURLWithPath: stateDir))
            if created {
                FileHandle.standardError.write(Data("stylefarm keys: made the coordinator's keys in \(folder.directory.path) (admin credential: \(folder.adminCredentialPath))\n".utf8))
            }
            return folder
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a credential (a key pair and the coordinator's public key) and authorize its key.",
            discussion: "Copy the file to the worker or the client's machine (it holds a secret key: keep it mode 0600) and pass it with --credential or $\(Credential.environmentVariable).")

        @OptionGroup var folder: Folder

        @Option(help: "Who the key belongs to: 1…64 of letters, digits, . _ - @ (shown in logs and as jobs' owner).")
        var name: String

        @Option(help: "worker (the worker channel only), submitter (its own jobs), admin (everything) or viewer (reads everything, changes nothing).")
        var role: FarmRole

        @Option(help: "Where to write the credential (default: <name>.credential here); an existing file is never replaced.")
        var out: String?

        func run() throws {
            let folder = try folder.open()
            let path = out ?? "\(name).credential"
            let credential: Credential
            do { credential = try folder.createCredential(name: name, role: role, at: path) } catch let error as KeyFolderError {
                throw ValidationError(error.description)
            }
            print("wrote \(path): \(credential.name) (\(credential.role.rawValue)), public key \(credential.keys.publicKey)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a name's keys from the authorized list (new connections are refused; live ones stay until they reconnect).")

        @OptionGroup var folder: Folder

        @Option(help: "The name whose keys go.")
        var name: String

        func run() throws {
            let removed = try folder.open().revoke(name: name)
            guard removed > 0 else { throw ValidationError("no authorized key is named \(name) (stylefarm keys list)") }
            print("revoked \(removed) key(s) of \(name)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the authorized keys: role, public key, name.")

        @OptionGroup var folder: Folder

        func run() throws {
            let folder = try folder.open()
            let (keys, problems) = try folder.authorizedKeys()
            print("coordinator \(folder.coordinatorKeys.publicKey)")
            for entry in keys.entries { print("\(entry.role.rawValue) \(entry.publicKey) \(entry.name)") }
            for problem in problems { FileHandle.standardError.write(Data("\(folder.authorizedKeysPath): \(problem) (ignored)\n".utf8)) }
        }
    }
}

extension FarmRole: ExpressibleByArgument {}
