/// Mail a person reads, composed for `sendmail -t -i`: safe headers, and the daily summary's
/// text and HTML alternatives.
public enum MailText {
    /// `text` without line breaks or other control characters.
    public static func headerSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// A header value: as it is when printable ASCII, else one RFC 2047 `=?utf-8?B?...?=` word
    /// per 45 bytes (folded), so no byte of it can end the header.
    public static func encodedHeader(_ text: String) -> String {
        let safe = headerSafe(text)
        if safe.unicodeScalars.allSatisfy({ $0.isASCII }) { return safe }
        let bytes = Array(safe.utf8)
        var words: [String] = [], start = 0
        while start < bytes.count {
            var end = min(bytes.count, start + 45)
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 } // whole characters in each word
            words.append("=?utf-8?B?\(base64(bytes[start..<end]))?=")
            start = end
        }
        return words.joined(separator: "\n ")
    }

    static func base64(_ bytes: ArraySlice<UInt8>) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let n = min(3, bytes.endIndex - i)
            var v = UInt32(bytes[i]) << 16
            if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { v |= UInt32(bytes[i + 2]) }
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : 0x3D)
            out.append(n > 2 ? alphabet[Int(v & 63)] : 0x3D)
            i += n
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A multipart/alternative message: the text, then the HTML (mail readers show the last
    /// part they can), each base64-encoded in 76-character lines (no line of an HTML report can
    /// break SMTP's 998-byte limit). `boundary` must not occur in base64 (it holds `=_`).
    public static func alternative(to address: String, subject: String, text: String, html: String,
                                   boundary: String = "=_spoolsweep_alternative") -> String {
        func part(_ type: String, _ body: String) -> String {
            "--\(boundary)\nContent-Type: \(type); charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                + lines(base64(Array(body.utf8)[...]), width: 76) + "\n"
        }
        return "To: \(headerSafe(address))\n"
            + "Subject: \(encodedHeader(subject))\n"
            + "Auto-Submitted: auto-generated\n"
            + "MIME-Version: 1.0\n"
            + "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\n"
            + "\n"
            + "This is a message in MIME format: a text and an HTML version of the same report.\n\n"
            + part("text/plain", text) + part("text/html", html)
            + "--\(boundary)--\n"
    }

    private static func lines(_ s: String, width: Int) -> String {
        var out = "", count = 0
        for c in s {
            if count == width { out += "\n"; count = 0 }
            out.append(c)
            count += 1
        }
        return out
    }
}
