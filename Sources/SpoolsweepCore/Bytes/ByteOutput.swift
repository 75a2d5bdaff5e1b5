import CZlib
import CZstd
import Glibc

/// Where a stream of bytes goes (`events -o FILE`, or standard output), written in blocks as
/// it is produced so nothing is kept; compressed when the file name asks: `.gz` through zlib,
/// `.zst` through libzstd. The first write error is kept and every later write skipped: the caller
/// reports it once, at the end.
public final class ByteOutput {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let compressor: (any StreamCompressor)?
    /// The error number of the first write that failed (`EPIPE` for a reader that left).
    public private(set) var error: Int32?

    /// Standard output, never compressed.
    public static func standardOutput() -> ByteOutput { ByteOutput(fd: 1, path: "standard output", owns: false, compressor: nil) }

    /// Creates (or truncates) `path`, compressed when it ends in `.gz` or `.zst`. A symbolic
    /// link there is refused, not followed.
    public static func file(_ path: String) throws(SpoolsweepError) -> ByteOutput {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite("\(path): cannot write it: \(FileSystem.errorText(errno))") }
        let compressor: (any StreamCompressor)? = switch Compression(path: path) {
        case .gzip: GzipDeflater()
        case .zstd: ZstdCompressor()
        case .zip, nil: nil
        }
        return ByteOutput(fd: fd, path: path, owns: true, compressor: compressor)
    }

    private init(fd: Int32, path: String, owns: Bool, compressor: (any StreamCompressor)?) {
        self.fd = fd
        self.path = path
        ownsDescriptor = owns
        self.compressor = compressor
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard error == nil, bytes.count > 0 else { return }
        if let compressor {
            error = compressor.compress(bytes, finishing: false) { FileSystem.writeAll(fd, $0) }
        } else {
            error = FileSystem.writeAll(fd, bytes)
        }
    }

    /// Ends the stream (the gzip trailer) and, for a file, makes it durable; the first error.
    public func finish() -> Int32? {
        if error == nil, let compressor {
            error = compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), finishing: true) { FileSystem.writeAll(fd, $0) }
        }
        // (A device such as /dev/null cannot be synced, and need not be.)
        if error == nil, ownsDescriptor, fsync(fd) != 0, errno != EINVAL { error = errno }
        return error
    }
}

/// A compressed stream being written.
private protocol StreamCompressor: AnyObject {
    /// Compresses `input` (all of it), handing each full block of output to `emit`; with
    /// `finishing`, the rest and the end of the stream too. The first error `emit` returns.
    func compress(_ input: UnsafeRawBufferPointer, finishing: Bool, emit: (UnsafeRawBufferPointer) -> Int32?) -> Int32?
}

/// A zlib deflate stream writing gzip. zlib's state points back at its `z_stream`, so the
/// stream lives at one address (allocated once), never in a value that moves.
private final class GzipDeflater: StreamCompressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var out = [UInt8](repeating: 0, count: 1 << 16)
    private var ended = false

    init() {
        stream.initialize(to: z_stream())
        _ = spoolsweep_deflate_init_gzip(stream)
    }

    deinit {
        end()
        stream.deallocate()
    }

    func compress(
        _ input: UnsafeRawBufferPointer, finishing: Bool, emit: (UnsafeRawBufferPointer) -> Int32?
    ) -> Int32? {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while true {
            let rc = out.withUnsafeMutableBytes { o in
                stream.pointee.next_out = o.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(o.count)
                return deflate(stream, finishing ? Z_FINISH : Z_NO_FLUSH)
            }
            let produced = out.count - Int(stream.pointee.avail_out)
            if produced > 0, let code = out.withUnsafeBytes({ emit(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }) {
                return code
            }
            if finishing ? rc == Z_STREAM_END : stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { break }
            if rc != Z_OK && rc != Z_BUF_ERROR { return EIO }
        }
        if finishing { end() }
        return nil
    }

    /// Frees zlib's state (once).
    func end() {
        if !ended { deflateEnd(stream) }
        ended = true
    }
}

/// A zstd stream (libzstd's default level), written a block at a time.
private final class ZstdCompressor: StreamCompressor {
    private let context: OpaquePointer
    private var out = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())

    init() { context = ZSTD_createCCtx() }
    deinit { ZSTD_freeCCtx(context) }

    func compress(_ input: UnsafeRawBufferPointer, finishing: Bool, emit: (UnsafeRawBufferPointer) -> Int32?) -> Int32? {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            var produced = 0
            let left = out.withUnsafeMutableBytes { o -> Int in
                var target = ZSTD_outBuffer(dst: o.baseAddress, size: o.count, pos: 0)
                let rc = ZSTD_compressStream2(context, &target, &source, finishing ? ZSTD_e_end : ZSTD_e_continue)
                produced = target.pos
                return ZSTD_isError(rc) != 0 ? -1 : rc
            }
            if left < 0 { return EIO }
            if produced > 0, let code = out.withUnsafeBytes({ emit(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }) {
                return code
            }
            if finishing ? left == 0 : source.pos == source.size { return nil }
        }
    }
}
