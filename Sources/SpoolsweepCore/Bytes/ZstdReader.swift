import CZstd

/// Decompresses a zstd file (`mail.log.2.zst`, events `-o FILE.zst`) as it is read, through
/// libzstd; several concatenated frames are read one after the other, as `zstdcat` does.
final class ZstdReader {
    private let context: OpaquePointer
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    private var buffered = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var inputEnded = false
    /// The last frame ended: the data may end here.
    private var betweenFrames = true
    private var finished = false

    init() { context = ZSTD_createDCtx() }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    /// Fills `output` with decompressed bytes; 0 at the end of the data.
    func read(from source: borrowing ByteSource, into output: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        guard !finished, output.count > 0 else { return 0 }
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        while target.pos < target.size {
            if buffered.pos == buffered.size && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 { inputEnded = true } else { buffered = ZSTD_inBuffer(src: input.baseAddress, size: n, pos: 0) }
            }
            if buffered.pos == buffered.size && inputEnded {
                if betweenFrames { finished = true; break }
                throw .damaged("compressed log cut short (.zst ends mid-frame)")
            }
            let rc = ZSTD_decompressStream(context, &target, &buffered)
            if ZSTD_isError(rc) != 0 { throw .damaged("damaged .zst data (\(String(cString: ZSTD_getErrorName(rc))))") }
            betweenFrames = rc == 0
        }
        return target.pos
    }
}
