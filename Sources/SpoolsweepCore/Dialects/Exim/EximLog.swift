/// One Exim log line: `YYYY-MM-DD HH:MM:SS[.mmm][ ±HHMM][ [pid]] [ID ]text`. The time zone
/// suffix (`log_timezone`) is read and ignored (every time spoolsweep handles is the server's
/// local time); the message id is either form: 16 characters `6-6-2` (before Exim 4.97) or 23
/// `6-11-4` (since).
struct EximEntry {
    let time: LocalTime
    /// The message id the line is about, when it starts with one.
    let id: UnsafeRawBufferPointer?
    /// The rest: after the id (`<= sender ...`, `=> ...`, `Completed`), or the whole text of a
    /// line about no message (`SMTP connection from ...`).
    let text: UnsafeRawBufferPointer

    init?(_ s: UnsafeRawBufferPointer) {
        guard s.count >= 20, isDigit(s[0]), s[4] == 0x2D, s[7] == 0x2D, s[10] == 0x20,
              let y = s.slice(0..<4).decimalValue, let mo = s.slice(5..<7).decimalValue, let d = s.slice(8..<10).decimalValue,
              (1...12).contains(mo), (1...31).contains(d),
              let (ms, afterTime) = LogFields.timeOfDay(s, at: 11) else { return nil }
        time = LocalTime(milliseconds: LocalTime.days(year: y, month: mo, day: d) * 86_400_000 + ms)
        var i = afterTime
        guard i < s.count, s[i] == 0x20 else { return nil }
        i += 1
        // " +0100" / " -0500": log_timezone.
        if i + 5 <= s.count, s[i] == 0x2B || s[i] == 0x2D, (1...4).allSatisfy({ isDigit(s[i + $0]) }) {
            i += 5
            if i < s.count, s[i] == 0x20 { i += 1 }
        }
        // "[pid] ": log_selector +pid.
        if i < s.count, s[i] == 0x5B, let close = s.index(of: 0x5D, from: i + 1), close < i + 12,
           (i + 1 < close) && (i + 1..<close).allSatisfy({ isDigit(s[$0]) }) {
            i = close + 1
            if i < s.count, s[i] == 0x20 { i += 1 }
        }
        let rest = s.dropFirst(i)
        if let length = Self.idLength(rest), length < rest.count, rest[length] == 0x20 {
            id = rest.slice(0..<length)
            text = rest.dropFirst(length + 1)
        } else {
            id = nil
            text = rest
        }
    }

    /// The length of the message id `s` starts with: 16 (`1xXVb0-0007uJ-0Y`) or 23
    /// (`1vnYk1-00000033BQ-1E0a`... `6-11-4`), or nil.
    static func idLength(_ s: UnsafeRawBufferPointer) -> Int? {
        func alnum(_ from: Int, _ n: Int) -> Bool {
            (from..<(from + n)).allSatisfy { isDigit(s[$0]) || isLetter(s[$0]) }
        }
        if s.count >= 16, s[6] == 0x2D, s[13] == 0x2D, alnum(0, 6), alnum(7, 6), alnum(14, 2),
           s.count == 16 || s[16] == 0x20 { return 16 }
        if s.count >= 23, s[6] == 0x2D, s[18] == 0x2D, alnum(0, 6), alnum(7, 11), alnum(19, 4) { return 23 }
        return nil
    }
}

/// Follows messages through an Exim main log by message id and reports their facts.
struct EximLogReader {
    mutating func read<Sink: MailFactSink>(_ e: EximEntry, share: LogShare, into sink: inout Sink) {}
    mutating func finish<Sink: MailFactSink>(into sink: inout Sink) {}
}
