import ArgumentParser
import SpoolsweepCore

struct SuspectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "suspects", abstract: "Rank the senders most likely to be spamming, with the evidence.")
    func run() throws {}
}
