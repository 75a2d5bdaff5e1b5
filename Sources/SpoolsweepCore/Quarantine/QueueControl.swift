import CSystemShims
import Glibc

/// Where a queued message is now, as its file shows.
public struct QueueLocation: Equatable, Sendable {
    /// The queue folder: `deferred`, `hold`...
    public let queue: String
    public let path: String
    /// The server's named queue it is in (Exim: `<spool>/<name>/input/`); nil for the default.
    public var namedQueue: String? = nil
}

/// Changes a live queue through the mail server's own command (Postfix: `postsuper`), for a
/// server whose queue files must not be moved behind its back. A run through it is journaled
/// like a run of file moves: the intents are fsynced first, then the command acts, then where
/// each message ended up is checked and recorded.
public protocol QueueControl: Sendable {
    /// The command's name, for journals and messages: `postsuper`.
    var tool: String { get }
    /// The queue folder that holds quarantined messages: `hold`.
    var holdQueue: String { get }
    /// Why a message already in `holdQueue` is not taken into a quarantine batch.
    var alreadyHeld: String { get }
    /// How its quarantine and restore read in reports.
    var holdWords: HoldWords { get }
    /// How a queue file holds the message, for filters on a held message's content.
    var contentEncoding: ContentEncoding { get }
    /// Whether `id` may be handed to the command: a queue id and nothing else.
    func isValidID(_ id: String) -> Bool
    /// Checks that the command is there and acts on this queue; says what to do when not.
    func check() throws(SpoolsweepError)
    /// Puts on hold (quarantine), releases (restore) or deletes (purge) `ids`; returns what the
    /// command printed, one line each.
    func act(_ operation: JournalOperation, ids: [String]) throws(MoveError) -> [String]
    /// Where each of `ids` is now; a message absent from the result is no longer queued.
    func locate(_ ids: Set<String>) -> [String: QueueLocation]
    /// The control that acts for a run journaled as made through `via` (the `tool` of the
    /// control it was made with): this one, or a variant of it (the same command in another
    /// mode: Exim's named queue); nil when this queue has no such command.
    func acting(for via: String) -> (any QueueControl)?
}

extension QueueControl {
    public var alreadyHeld: String { "already on hold (not put there by spoolsweep)" }
    public var holdWords: HoldWords { HoldWords() }
    public func acting(for via: String) -> (any QueueControl)? { tool == via ? self : nil }

    /// Whether a message the command acted on is where `operation` puts it.
    func reached(_ operation: JournalOperation, _ place: QueueLocation?) -> Bool {
        switch operation {
        case .quarantine: place?.queue == holdQueue
        case .restore: place?.queue != holdQueue
        case .purge: place == nil
        }
    }
}

/// What a server's command does to quarantine and restore, in reports: Postfix puts on hold and
/// releases, Exim freezes and thaws.
public struct HoldWords: Sendable, Equatable {
    /// `put on hold`: what quarantine does.
    public var hold = "put on hold"
    /// `released from hold`: what restore does.
    public var release = "released from hold"
    /// `on hold in the queue`: where quarantined messages are.
    public var held = "on hold in the queue"
    public init() {}
    public init(hold: String, release: String, held: String) { (self.hold, self.release, self.held) = (hold, release, held) }
}

/// Runs a program and collects its output: standard input from memory, standard output and
/// error together into memory, no shell.
enum ToolRun {
    struct Result {
        /// The exit status, or -signal when it was killed.
        let status: Int32
        let lines: [String]
    }

    static func run(_ path: String, _ arguments: [String], input: [UInt8] = []) throws(MoveError) -> Result {
        let inFD = spoolsweep_memfd("stdin"), outFD = spoolsweep_memfd("output")
        defer { if inFD >= 0 { close(inFD) }; if outFD >= 0 { close(outFD) } }
        guard inFD >= 0, outFD >= 0 else { throw MoveError("\(path): cannot make a buffer for its input", errno: errno) }
        let wrote = input.withUnsafeBytes { write(inFD, $0.baseAddress, $0.count) }
        guard wrote == input.count, lseek(inFD, 0, SEEK_SET) == 0 else { throw MoveError("\(path): cannot write its input", errno: errno) }
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let status = spoolsweep_run(path, &argv, inFD, outFD)
        guard status >= 0 else { throw MoveError("\(path): cannot run it", errno: errno) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(outFD, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            output += chunk[0..<n]
            offset += off_t(n)
        }
        let lines = output.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return Result(status: exit, lines: lines)
    }

    /// `--queue-tool`'s program when given (it must be an executable file), else the first of
    /// `names` found in `$PATH` or `fallbacks`; `missing` says what to do when none is.
    static func tool(_ command: String?, names: [String], fallbacks: [String], missing: String) throws(SpoolsweepError) -> String {
        if let command {
            guard access(command, X_OK) == 0, FileSystem.kind(command) != .folder else {
                throw .badValue("--queue-tool \(command): not an executable file")
            }
            return command
        }
        for name in names {
            if let found = find(name, fallbacks: fallbacks) { return found }
        }
        throw .badValue(missing)
    }

    /// The program `name` in the folders of `$PATH`, then in `fallbacks`.
    static func find(_ name: String, fallbacks: [String]) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let candidates = path.split(separator: ":").map { FileSystem.join(String($0), name) } + fallbacks.map { FileSystem.join($0, name) }
        return candidates.first { p in
            var st = stat()
            return stat(p, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && access(p, X_OK) == 0
        }
    }
}
