/// An Exim message's content: the headers are in its `-H` file (after the envelope, each with a
/// length and a flag; deleted ones left out), the body in its `-D` file after the first line
/// (`<id>-D`). `contentPath` is the `-D`; the `-H` beside it is read only when the headers are
/// wanted, so a search of the body alone reads the `-D` only.
struct EximSpoolContent: MessageContentFormat {
    /// The `-H` beside a `-D`, and the message id.
    static func headerFile(of dataPath: String) -> (path: String, id: String)? {
        guard dataPath.hasSuffix("-D") else { return nil }
        let path = String(dataPath.dropLast()) + "H"
        return (path, String(FileSystem.baseName(path).dropLast(2)))
    }

    /// The header block (and the empty line after it) into `out`; whether the `-D` is in wire format.
    static func headerBlock(ofData dataPath: String, into out: inout [UInt8]) throws(FileReadError) -> Bool {
        guard let (path, id) = headerFile(of: dataPath) else { throw .damaged("\(dataPath): not an Exim -D file name") }
        var file: [UInt8] = []
        guard try ByteSource(path: path, allowMapping: false).readAll(into: &file, limit: EximSpoolWalker.headerFileLimit) else {
            throw .damaged("\(path): -H file larger than \(EximSpoolWalker.headerFileLimit >> 20) MiB")
        }
        var scratch = QueuedMessage(id: id, queue: "", state: "")
        out.removeAll(keepingCapacity: true)
        let outcome: Result<Bool, EximHeaderFile.Problem> = file.withUnsafeBytes { bytes in
            EximHeaderFile.parse(bytes, id: id, into: &scratch).flatMap { layout in
                Result { () throws(EximHeaderFile.Problem) in
                    try EximHeaderFile.headerBlock(bytes, from: layout.headersStart, crlf: layout.wireFormat, into: &out)
                    return layout.wireFormat
                }
            }
        }
        switch outcome {
        case .success(let wire): return wire
        case .failure(let problem): throw .damaged("\(path): \(problem.reason)")
        }
    }

    func headers(of message: QueuedMessage, path: String, buffer: inout [UInt8]) throws(FileReadError) -> MessageHeaders {
        _ = try Self.headerBlock(ofData: path, into: &buffer)
        return buffer.withUnsafeBytes { MessageHeaders.parse($0) }
    }

    /// The headers from the `-H`, the empty line, then the `-D` after its first line.
    func message(_ message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) {
        var head: [UInt8] = []
        _ = try Self.headerBlock(ofData: source.path, into: &head)
        _ = try source.readAll(into: &buffer, limit: Int.max)
        let first = buffer.firstIndex(of: 0x0A).map { $0 + 1 } ?? buffer.count
        buffer.replaceSubrange(0..<first, with: head)
    }

    /// The `-D` alone: the body starts after its first line.
    func body(of message: QueuedMessage, from source: borrowing ByteSource, into buffer: inout [UInt8]) throws(FileReadError) -> Int {
        _ = try source.readAll(into: &buffer, limit: Int.max)
        return buffer.firstIndex(of: 0x0A).map { $0 + 1 } ?? buffer.count
    }
}

extension ContentEncoding {
    /// An Exim `-H` (headers) and `-D` (body) pair; `contentPath` is the `-D`.
    public static let eximSpool = ContentEncoding(name: "exim-spool", format: EximSpoolContent())
}
