/// Finds, in the spool being read, the `.hdr` an SMTP log line names, and reads it with the
/// spool reader (`SmarterMailSpoolWalker.readPair`, so through `SmarterMailEnvelope.parse`).
///
/// The log names the file as the server saw it, a Windows path such as
/// `C:/SmarterMail/Domains/Spool/SubSpool3/706173251002.hdr`, or only the message file
/// (`writing mail to 67518204.eml`). It is mapped onto each spool root of the layout: first by
/// the part after `Spool/` (`SubSpool3/706173251002.hdr`), then by the base name in the root
/// itself and in each of its `SubSpoolN` folders (names compared without case). Used only for
/// sessions logged below the Detailed level, once per message, never per line.
final class SmarterMailSpoolLookup {
    private let roots: [String]
    /// Each root's folders to look in by base name: the root, then its `SubSpoolN` folders
    /// (listed once, sorted by name).
    private var folders: [String]?
    private var walker = SmarterMailSpoolWalker(diagnostics: Diagnostics())

    init?(spoolRoots: [String]) {
        let folders = spoolRoots.filter { FileSystem.kind($0) == .folder }
        guard !folders.isEmpty else { return nil }
        roots = folders
    }

    /// The queued message whose envelope is `base` (the spool base name) — at the part after
    /// `Spool/` of `path` (the path the log named, if any) or by name in the subspools — when
    /// the spool still has it.
    func envelope(base: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer?) -> QueuedMessage? {
        // The base name is an opaque token of [0-9A-Za-z]: nothing else is looked up.
        guard !base.isEmpty, base.count <= 64, base.allSatisfy({ isDigit($0) || isLetter($0) }) else { return nil }
        let name = String(decoding: base, as: UTF8.self)
        if let path, let folder = Self.folder(of: path) {
            for root in roots {
                if let m = read(name, in: folder.isEmpty ? root : FileSystem.join(root, folder)) { return m }
            }
        }
        if folders == nil {
            folders = roots.flatMap { root -> [String] in
                let subspools = (FileSystem.entries(root) ?? []).filter { $0.kind == .folder && $0.name.lowercased().hasPrefix("subspool") }
                return [root] + subspools.map { FileSystem.join(root, $0.name) }
            }
        }
        for folder in folders! {
            if let m = read(name, in: folder) { return m }
        }
        return nil
    }

    /// The folders after the last `Spool` folder of `path` (`SubSpool3` of
    /// `C:/SmarterMail/Domains/Spool/SubSpool3/x.hdr`; `/` or `\` between names), joined with
    /// `/`; nil when the path has no `Spool` folder, or a part after it could leave the spool
    /// (`..`, empty parts) or is not plain text.
    static func folder(of path: UnsafeRawBufferPointer) -> String? {
        var parts: [UnsafeRawBufferPointer] = []
        var start = 0
        for i in 0...path.count where i == path.count || path[i] == 0x2F || path[i] == 0x5C {
            parts.append(path.slice(start..<i))
            start = i + 1
        }
        guard let spool = parts.dropLast().lastIndex(where: { $0.count == 5 && $0.matchesIgnoringCase(Self.spool) }) else { return nil }
        var folders: [String] = []
        for part in parts[(spool + 1)...].dropLast() {
            guard !part.isEmpty, !part.allSatisfy({ $0 == 0x2E }), part.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            folders.append(String(decoding: part, as: UTF8.self))
        }
        return folders.joined(separator: "/")
    }

    private static let spool: StaticString = "spool"

    private func read(_ name: String, in folderPath: String) -> QueuedMessage? {
        guard FileSystem.kind(FileSystem.join(folderPath, name + ".hdr")) == .file,
              let folder = FileSystem.Folder(folderPath) else { return nil }
        var files = MessageFiles()
        files.add(name + ".hdr", FileSystem.join(folderPath, name + ".hdr"), .envelope)
        let eml = FileSystem.join(folderPath, name + ".eml")
        if FileSystem.kind(eml) == .file { files.add(name + ".eml", eml, .content) }
        var found: QueuedMessage?
        walker.readPair(id: name, queue: FileSystem.baseName(folderPath), files, in: folder) { found = $0 }
        walker.diagnostics = Diagnostics() // the spool's own findings are the spool commands'
        // Only a settled envelope: a state line alone (being written) names no one.
        guard let m = found, !(m.sender.isEmpty && m.recipients.isEmpty && m.account == nil) else { return nil }
        return m
    }
}
