import CZip
import Glibc

/// Decompresses the one log of a zip archive (SmarterMail's maintenance task turns an old day's
/// `2026.11.27-smtpLog.log` into `2026.11.27-smtpLog.log.zip`) as it is read, through libzip.
///
/// The archive is opened on the descriptor of the already opened `ByteSource` (so a link is
/// never followed and a vanished file is told as such); its member is read in chunks, never
/// inflated whole. An archive that does not hold exactly one `.log` file is refused with the
/// reason.
final class ZipReader {
    private let archive: OpaquePointer
    private let member: OpaquePointer
    private var finished = false

    init(_ source: borrowing ByteSource) throws(FileReadError) {
        let fd = source.duplicateDescriptor()
        guard fd >= 0 else { throw .system(operation: "dup", errno: errno) }
        var code: Int32 = 0
        guard let archive = zip_fdopen(fd, ZIP_RDONLY | ZIP_CHECKCONS, &code) else {
            close(fd) // libzip owns the descriptor only once the archive is open
            throw .damaged("not a readable zip archive (\(ZipReader.message(code)))")
        }
        let count = zip_get_num_entries(archive, 0)
        guard count == 1 else {
            zip_discard(archive)
            throw .damaged(count < 1 ? "zip archive holds no file (a zipped log holds one .log)"
                                     : "zip archive holds \(count) files, not one log")
        }
        let name = zip_get_name(archive, 0, 0).map { String(cString: $0) } ?? ""
        guard name.lowercased().hasSuffix(".log") else {
            zip_discard(archive)
            throw .damaged("zip archive holds \(name.isEmpty ? "a file without a name" : "\"\(name.terminalSafe)\""), not a .log")
        }
        guard let member = zip_fopen_index(archive, 0, 0) else {
            let reason = String(cString: zip_strerror(archive))
            zip_discard(archive)
            throw .damaged("zip archive's log cannot be opened (\(reason))")
        }
        self.archive = archive
        self.member = member
    }

    deinit {
        zip_fclose(member)
        zip_discard(archive)
    }

    /// Fills `output` with decompressed bytes; 0 at the end of the log.
    func read(into output: UnsafeMutableRawBufferPointer) throws(FileReadError) -> Int {
        guard !finished, output.count > 0 else { return 0 }
        let n = zip_fread(member, output.baseAddress!, zip_uint64_t(output.count))
        if n < 0 {
            // A CRC mismatch, damaged deflate data, or an archive cut short.
            throw .damaged("damaged zip data (\(String(cString: zip_file_strerror(member))))")
        }
        if n == 0 { finished = true }
        return Int(n)
    }

    /// libzip's text for an error code, e.g. "Not a zip archive".
    private static func message(_ code: Int32) -> String {
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        return String(cString: zip_error_strerror(&error))
    }
}
