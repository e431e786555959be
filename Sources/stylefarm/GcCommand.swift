import ArgumentParser
import Coordinator
import Foundation
import Protocol

/// `stylefarm gc`.
struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove files no job refers to any more: intermediate results, style targets, uploaded blobs (admin keys).")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        defer { connection.close() }
        let reply = try connection.collectGarbage()
        print("removed \(reply.filesRemoved) unreferenced file(s), \(ByteCountFormatter.string(fromByteCount: Int64(reply.bytesFreed), countStyle: .file)) freed")
    }
}
