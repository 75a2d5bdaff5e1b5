import Glibc
import Testing
@testable import SpoolsweepCore

/// How a test zip stores its members.
enum ZipMethod: String, CaseIterable, Sendable {
    case stored, deflated
}

extension TempFolder {
    /// Writes the zip archive `name` holding `members` (member name → bytes), made by python3's
    /// zipfile module (a zip writer independent of the libzip spoolsweep reads with).
    @discardableResult
    func zip(_ name: String, _ members: [(String, [UInt8])], _ method: ZipMethod = .deflated) throws -> String {
        let sources = try TempFolder("zipsrc")
        var args: [String] = []
        for (i, (member, bytes)) in members.enumerated() {
            args.append("'\(member)=\(try sources.write("m\(i)", bytes))'")
        }
        let script = """
            import sys, zipfile
            out, method = sys.argv[1], sys.argv[2]
            with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED if method == 'deflated' else zipfile.ZIP_STORED) as z:
                for a in sys.argv[3:]:
                    member, source = a.split('=', 1)
                    z.write(source, member)
            """
        let path = at(name)
        guard shellOutput("python3 -c \"\(script)\" '\(path)' \(method.rawValue) \(args.joined(separator: " "))", mergingErrors: true) != nil else {
            throw SetupError("python3 zipfile for \(path)")
        }
        return path
    }

    @discardableResult
    func zip(_ name: String, _ members: [(String, String)], _ method: ZipMethod = .deflated) throws -> String {
        try zip(name, members.map { ($0.0, Array($0.1.utf8)) }, method)
    }
}

/// The bytes of the file at `path`.
func fileBytes(_ path: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    let source = try ByteSource(path: path, allowMapping: false)
    _ = try source.readAll(into: &bytes, limit: 1 << 30)
    return bytes
}
