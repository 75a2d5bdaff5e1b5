import Glibc

/// `<repo>`, found from this file's path (<repo>/Tests/SpoolsweepCoreTests/Support/).
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)
    return parts.joined(separator: "/")
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
