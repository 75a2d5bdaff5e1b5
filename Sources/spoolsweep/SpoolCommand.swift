import ArgumentParser
import SpoolsweepCore

struct SpoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spool", abstract: "List and shape the queued messages.")
}
