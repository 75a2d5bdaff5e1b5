/// How one spool format holds a message's RFC 5322 content; each dialect implements its own
/// (`ContentEncoding` names it). `source` is the message's `contentPath`, opened and not yet read.
public protocol MessageContentFormat: Sendable {
    /// The header block, parsed; `buffer` is scratch. Reads no more than it needs.
    func headers(of message: QueuedMessage, path: String, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders
    /// The whole message, headers and body, into `buffer`.
    func message(_ message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError)
    /// Bytes into `buffer` whose tail from the returned offset is the message body (for a search
    /// of the body alone: no header fields are made, and what holds only the headers may be left
    /// unread).
    func body(of message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) -> Int
}

/// A file that is the RFC 5322 message as is (SmarterMail `.eml`).
public struct PlainMessageFile: MessageContentFormat {
    public init() {}

    public func headers(of message: QueuedMessage, path: String, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders {
        try MessageHeaders.read(path: path, buffer: &buffer)
    }

    public func message(_ message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) {
        _ = try source.readAll(into: &buffer, limit: Int.max)
    }

    public func body(of message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) -> Int {
        _ = try source.readAll(into: &buffer, limit: Int.max)
        return buffer.withUnsafeBytes { MessageHeaders.bodyOffset($0) } ?? buffer.count
    }
}

/// Reads a queued message's RFC 5322 content, whatever the spool file wraps it in (its
/// `contentEncoding` says how).
public enum MessageContent {
    /// The header block only (as little read as the format allows).
    public static func headers(of message: QueuedMessage, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders? {
        guard let path = message.contentPath else { return nil }
        return try message.contentEncoding.format.headers(of: message, path: path, buffer: &buffer)
    }

    /// The whole message into `buffer` (headers and body), and its parsed header block.
    public static func whole(_ message: QueuedMessage, into buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders? {
        guard let path = message.contentPath else { return nil }
        try message.contentEncoding.format.message(message, from: ByteSource(path: path, allowMapping: false), into: &buffer)
        return buffer.withUnsafeBytes { MessageHeaders.parse($0) }
    }

    /// Bytes of the message into `buffer`, and where its body starts there (`buffer.count` when
    /// it has no empty line); nil when there is no content file. For a search of the body alone:
    /// no header fields are made (for a plain file, the same bytes and offset as `whole`).
    ///
    /// `folder` keeps the folder of the file open for the next message: a spool folder holds
    /// thousands, and a file opened by its name in an open folder spares the kernel the walk
    /// down its whole path.
    public static func body(of message: QueuedMessage, into buffer: inout [UInt8], folder: inout OpenFolder) throws(FileReadError) -> Int? {
        guard let path = message.contentPath else { return nil }
        return try message.contentEncoding.format.body(of: message, from: folder.open(path), into: &buffer)
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
}
