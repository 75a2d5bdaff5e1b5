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
    public static func body(of message: QueuedMessage, into buffer: inout [UInt8]) throws(FileReadError) -> Int? {
        guard try read(message, into: &buffer) else { return nil }
        return buffer.withUnsafeBytes { MessageHeaders.bodyOffset($0) } ?? buffer.count
    }

    private static func read(_ message: QueuedMessage, into buffer: inout [UInt8]) throws(FileReadError) -> Bool {
        guard let path = message.contentPath else { return false }
        let source = try ByteSource(path: path, allowMapping: false)
        _ = try source.readAll(into: &buffer, limit: Int.max)
        if message.contentEncoding == .postfixQueueFile {
            buffer = buffer.withUnsafeBytes { PostfixQueueFile.content($0) }
        }
        return true
    }
}
