import Glibc

/// Folder listing and file-type checks that never follow a symbolic link.
public enum FileSystem {
    public enum Kind: Equatable, Sendable { case file, folder, link, other(String), missing }

    /// The kind of `path` itself (a link is reported as a link, not as its target).
    public static func kind(_ path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        case S_IFLNK: return .link
        case let t: return .other(ByteSource.describe(fileType: t))
        }
    }

    public static func exists(_ path: String) -> Bool { kind(path) != .missing }

    /// Modification time (seconds since the epoch, UTC) and size, without following links.
    public static func status(_ path: String) -> (mtime: Int, size: Int)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (Int(st.st_mtim.tv_sec), Int(st.st_size))
    }

    /// The names in a folder (not `.` and `..`), sorted bytewise; nil when it cannot be listed.
    public static func list(_ folder: String) -> [String]? {
        entries(folder)?.map(\.name)
    }

    /// The names in a folder with their kinds, sorted bytewise by name; nil when it cannot be
    /// listed. The kind comes from the listing itself (no `lstat` per name) where the file
    /// system gives it; a name removed meanwhile may still be listed (its kind then `.missing`
    /// only if the file system gave none).
    public static func entries(_ folder: String) -> [(name: String, kind: Kind)]? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var out: [(name: String, kind: Kind)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name != "." && name != ".." else { continue }
            let kind: Kind = switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): .file
            case Int32(DT_DIR): .folder
            case Int32(DT_LNK): .link
            default: self.kind(join(folder, name)) // DT_UNKNOWN, or a device, FIFO, socket
            }
            out.append((name, kind))
        }
        return out.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    public static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    public static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return String(p) }
        return String(p[p.index(after: slash)...])
    }

    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
