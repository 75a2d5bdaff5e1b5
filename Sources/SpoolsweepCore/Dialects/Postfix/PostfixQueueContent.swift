/// A Postfix queue file's content: the `N`/`L` records between `M` and `X`. The file is read
/// whole (the envelope records come first) and the message rebuilt from its records.
struct PostfixQueueContent: MessageContentFormat {
    func headers(of message: QueuedMessage, path: String, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders {
        try self.message(message, from: ByteSource(path: path, allowMapping: false), into: &buffer)
        return buffer.withUnsafeBytes { MessageHeaders.parse($0) }
    }

    func message(_ message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) {
        _ = try source.readAll(into: &buffer, limit: Int.max)
        buffer = buffer.withUnsafeBytes { PostfixQueueFile.content($0) }
    }

    func body(of message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) -> Int {
        try self.message(message, from: source, into: &buffer)
        return buffer.withUnsafeBytes { MessageHeaders.bodyOffset($0) } ?? buffer.count
    }
}

extension ContentEncoding {
    /// Inside a Postfix queue file's `N`/`L` records.
    public static let postfixQueueFile = ContentEncoding(name: "postfix-queue-file", format: PostfixQueueContent())
}
