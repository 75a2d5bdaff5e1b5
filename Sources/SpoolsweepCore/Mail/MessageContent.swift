/// Reads a queued message's RFC 5322 content, whatever the spool file wraps it in.
public enum MessageContent {
    /// The header block only (a Postfix queue file is read whole: its content is in records).
    public static func headers(of message: QueuedMessage, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders? {
        guard let path = message.contentPath else { return nil }
        switch message.contentEncoding {
        case .rfc5322: return try MessageHeaders.read(path: path, buffer: &buffer)
        case .postfixQueueFile: return try whole(message, into: &buffer)
        }
    }

    /// The whole message into `buffer` (headers and body), and its parsed header block.
    public static func whole(_ message: QueuedMessage, into buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders? {
        guard try read(message, into: &buffer) else { return nil }
        return buffer.withUnsafeBytes { MessageHeaders.parse($0) }
    }

    /// The whole message into `buffer`, and where its body starts there (`buffer.count` when it
    /// has no empty line); nil when there is no content file. The same bytes and offset as
    /// `whole`, without making the header fields (for a search of the body alone).
    ///
    /// `folder` keeps the folder of the file open for the next message: a spool folder holds
    /// thousands, and a file opened by its name in an open folder spares the kernel the walk
    /// down its whole path.
    public static func body(of message: QueuedMessage, into buffer: inout [UInt8], folder: inout OpenFolder) throws(FileReadError) -> Int? {
        guard try read(message, into: &buffer, folder: &folder) else { return nil }
        return buffer.withUnsafeBytes { MessageHeaders.bodyOffset($0) } ?? buffer.count
    }

    /// The folder the last content file was in, open (see `body(of:into:folder:)`).
    public struct OpenFolder {
        private var path: String?
        /// nil when `path` could not be opened as a folder (a link, say): its files are then
        /// opened by their whole paths.
        private var handle: FileSystem.Folder?

        public init() {}

        /// `path` opened, by its name in its folder when that folder can be opened.
        mutating func open(_ path: String) throws(FileReadError) -> ByteSource {
            let bytes = path.utf8
            guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")), slash != bytes.startIndex,
                  bytes.index(after: slash) != bytes.endIndex else {
                return try ByteSource(path: path, allowMapping: false)
            }
            if self.path == nil || !self.path!.utf8.elementsEqual(bytes[..<slash]) {
                let folder = String(path[..<slash])
                self.path = folder
                handle = FileSystem.Folder(folder)
            }
            guard let handle else { return try ByteSource(path: path, allowMapping: false) }
            return try ByteSource(String(path[bytes.index(after: slash)...]), in: handle, path: path, allowMapping: false)
        }
    }

    private static func read(_ message: QueuedMessage, into buffer: inout [UInt8]) throws(FileReadError) -> Bool {
        guard let path = message.contentPath else { return false }
        return try read(message, ByteSource(path: path, allowMapping: false), into: &buffer)
    }

    private static func read(_ message: QueuedMessage, into buffer: inout [UInt8], folder: inout OpenFolder) throws(FileReadError) -> Bool {
        guard let path = message.contentPath else { return false }
        return try read(message, folder.open(path), into: &buffer)
    }

    private static func read(_ message: QueuedMessage, _ source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) -> Bool {
        _ = try source.readAll(into: &buffer, limit: Int.max)
        if message.contentEncoding == .postfixQueueFile {
            buffer = buffer.withUnsafeBytes { PostfixQueueFile.content($0) }
        }
        return true
    }
}
