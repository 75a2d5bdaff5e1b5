import Glibc
@testable import SpoolsweepCore

/// `<repo>`, found from this file's path (<repo>/Tests/SpoolsweepCoreTests/Support/).
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)
    return parts.joined(separator: "/")
}()

/// `<repo>/fixtures/smartermail`, its spool's files stamped with the sample's time first: a
/// fresh checkout stamps files with the checkout time, and a `.hdr` modified moments ago counts
/// as one the server is still writing.
let settledSmarterMailFixture: String = {
    func settle(_ folder: String) {
        for name in FileSystem.list(folder) ?? [] {
            let path = FileSystem.join(folder, name)
            switch FileSystem.kind(path) {
            case .folder: settle(path)
            case .file:
                var times = [timeval(tv_sec: 1_795_867_200, tv_usec: 0), timeval(tv_sec: 1_795_867_200, tv_usec: 0)] // 2026-11-28 12:00 UTC
                _ = utimes(path, &times)
            default: break
            }
        }
    }
    let root = repositoryRoot + "/fixtures/smartermail"
    settle(root + "/Spool")
    return root
}()

/// A shell command's standard output (its standard error too when `mergingErrors`, else
/// discarded), or nil when the command fails.
func shellOutput(_ command: String, mergingErrors: Bool = false) -> String? {
    guard let pipe = popen(command + (mergingErrors ? " 2>&1" : " 2>/dev/null"), "r") else { return nil }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, pipe)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    guard pclose(pipe) == 0 else { return nil }
    return String(decoding: out, as: UTF8.self)
}
