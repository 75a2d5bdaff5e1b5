/// A fact copied out of the reader's buffers: what tests assert and what an export writes.
/// `replay(into:)` hands it to a sink as the reader would have.
public enum OwnedMailFact: Equatable, Sendable, CustomStringConvertible {
    case accepted(time: LocalTime, key: String, clientIP: String, account: String?, sender: String,
                  recipients: [String], size: Int, protocolName: String, spoolName: String?,
                  helo: String? = nil, messageID: String? = nil, senderKnown: Bool = true)
    case connection(time: LocalTime, clientIP: String)
    case recipientRejected(time: LocalTime, clientIP: String, recipient: String, code: Int, reason: String? = nil)
    case rejection(time: LocalTime, clientIP: String, code: Int, reason: String? = nil)
    case delivery(time: LocalTime, key: String, sender: String?, recipient: String, isLocal: Bool,
                  outcome: DeliveryClass, word: String, detail: String, attempt: Int)
    case login(time: LocalTime, ip: String, protocolName: String, account: String?, success: Bool)
    case securityBlock(time: LocalTime, ip: String, rule: String)
    case removed(time: LocalTime, key: String)
    case host(name: String, server: String)

    public init(_ fact: MailFact) {
        switch fact {
        case .host(let h):
            self = .host(name: h.name.printable, server: h.server.printable)
        case .accepted(let m):
            self = .accepted(time: m.time, key: m.key.printable, clientIP: m.clientIP.printable, account: m.account?.printable,
                             sender: m.sender.printable, recipients: m.recipients.map(\.printable), size: m.size,
                             protocolName: m.protocolName.printable, spoolName: m.spoolName?.printable,
                             helo: m.helo?.printable, messageID: m.messageID?.printable, senderKnown: m.senderKnown)
        case .connection(let c):
            self = .connection(time: c.time, clientIP: c.clientIP.printable)
        case .recipientRejected(let r):
            self = .recipientRejected(time: r.time, clientIP: r.clientIP.printable, recipient: r.recipient.printable, code: r.code,
                                      reason: r.reason?.printable)
        case .rejection(let r):
            self = .rejection(time: r.time, clientIP: r.clientIP.printable, code: r.code, reason: r.reason?.printable)
        case .delivery(let d):
            self = .delivery(time: d.time, key: d.key.printable, sender: d.sender?.printable, recipient: d.recipient.printable,
                             isLocal: d.isLocal, outcome: d.outcome, word: d.word.printable, detail: d.detail.printable,
                             attempt: d.attempt)
        case .login(let l):
            self = .login(time: l.time, ip: l.ip.printable, protocolName: l.protocolName.printable,
                          account: l.account?.printable, success: l.success)
        case .securityBlock(let b):
            self = .securityBlock(time: b.time, ip: b.ip.printable, rule: b.rule.printable)
        case .removed(let r):
            self = .removed(time: r.time, key: r.key.printable)
        }
    }

    /// Hands this fact to `sink` in its borrowed form.
    public func replay<Sink: MailFactSink>(into sink: inout Sink) {
        switch self {
        case let .accepted(time, key, clientIP, account, sender, recipients, size, protocolName, spoolName, helo, messageID, senderKnown):
            var joined: [UInt8] = [], ends: [Int32] = []
            for r in recipients { joined += r.utf8; ends.append(Int32(joined.count)) }
            joined.withUnsafeBytes { all in
                ends.withUnsafeBufferPointer { ends in
                    withBytes(key, clientIP, sender, protocolName) { key, ip, sender, proto in
                        withOptionalBytes(account) { account in
                            withOptionalBytes(spoolName) { spool in
                                withOptionalBytes(helo) { helo in
                                    withOptionalBytes(messageID) { messageID in
                                        sink.take(.accepted(AcceptedMessage(
                                            time: time, key: key, clientIP: ip, account: account, sender: sender,
                                            recipients: RecipientList(bytes: all, ends: ends), size: size,
                                            protocolName: proto, spoolName: spool, helo: helo, messageID: messageID,
                                            senderKnown: senderKnown)))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        case let .connection(time, clientIP):
            withBytes(clientIP, "", "", "") { ip, _, _, _ in sink.take(.connection(ClientConnection(time: time, clientIP: ip))) }
        case let .recipientRejected(time, clientIP, recipient, code, reason):
            withBytes(clientIP, recipient, "", "") { ip, r, _, _ in
                withOptionalBytes(reason) { reason in
                    sink.take(.recipientRejected(RecipientRejection(time: time, clientIP: ip, recipient: r, code: code, reason: reason)))
                }
            }
        case let .rejection(time, clientIP, code, reason):
            withBytes(clientIP, "", "", "") { ip, _, _, _ in
                withOptionalBytes(reason) { reason in sink.take(.rejection(Rejection(time: time, clientIP: ip, code: code, reason: reason))) }
            }
        case let .delivery(time, key, sender, recipient, isLocal, outcome, word, detail, attempt):
            withBytes(key, recipient, word, detail) { key, r, word, detail in
                withOptionalBytes(sender) { sender in
                    sink.take(.delivery(DeliveryAttempt(time: time, key: key, sender: sender, recipient: r, isLocal: isLocal,
                                                        outcome: outcome, word: word, detail: detail, attempt: attempt)))
                }
            }
        case let .login(time, ip, protocolName, account, success):
            withBytes(ip, protocolName, "", "") { ip, proto, _, _ in
                withOptionalBytes(account) { account in
                    sink.take(.login(LoginAttempt(time: time, ip: ip, protocolName: proto, account: account, success: success)))
                }
            }
        case let .securityBlock(time, ip, rule):
            withBytes(ip, rule, "", "") { ip, rule, _, _ in sink.take(.securityBlock(SecurityBlockFact(time: time, ip: ip, rule: rule))) }
        case let .removed(time, key):
            withBytes(key, "", "", "") { key, _, _, _ in sink.take(.removed(MessageRemoved(time: time, key: key))) }
        case let .host(name, server):
            withBytes(name, server, "", "") { name, server, _, _ in sink.take(.host(HostChange(name: name, server: server))) }
        }
    }

    public var time: LocalTime {
        switch self {
        case .accepted(let t, _, _, _, _, _, _, _, _, _, _, _), .connection(let t, _), .recipientRejected(let t, _, _, _, _),
             .rejection(let t, _, _, _),
             .delivery(let t, _, _, _, _, _, _, _, _), .login(let t, _, _, _, _), .securityBlock(let t, _, _), .removed(let t, _):
            return t
        case .host: return LocalTime(milliseconds: .min)
        }
    }

    /// One line, for test failures.
    public var description: String {
        switch self {
        case let .accepted(t, key, ip, account, sender, recipients, size, proto, spool, helo, messageID, senderKnown):
            return "\(t) accepted \(key) from \(ip)\(account.map { " as \($0)" } ?? "") \(senderKnown ? "<\(sender)>" : "sender unknown") -> \(recipients.joined(separator: ",")) \(size) bytes \(proto)\(spool.map { " spool \($0)" } ?? "")\(helo.map { " helo \($0)" } ?? "")\(messageID.map { " id <\($0)>" } ?? "")"
        case let .connection(t, ip): return "\(t) connection \(ip)"
        case let .recipientRejected(t, ip, r, code, reason): return "\(t) rcpt rejected \(ip) <\(r)> \(code)\(reason.map { " [\($0)]" } ?? "")"
        case let .rejection(t, ip, code, reason): return "\(t) rejected \(ip) \(code)\(reason.map { " [\($0)]" } ?? "")"
        case let .delivery(t, key, sender, r, local, outcome, word, detail, attempt):
            return "\(t) delivery \(key)#\(attempt) <\(sender ?? "?")> -> <\(r)>\(local ? " local" : "") \(outcome.name) \(word) [\(detail)]"
        case let .login(t, ip, proto, account, ok): return "\(t) login \(proto) \(ip) \(account ?? "-") \(ok ? "ok" : "failed")"
        case let .securityBlock(t, ip, rule): return "\(t) block \(ip) \(rule)"
        case let .removed(t, key): return "\(t) removed \(key)"
        case let .host(name, server): return "host \(name) (\(server))"
        }
    }
}

/// Keeps every fact it is given, copied: the sink of dialect tests.
public struct FactRecorder: MailFactSink {
    public private(set) var facts: [OwnedMailFact] = []
    public init() {}
    public mutating func take(_ fact: MailFact) { facts.append(OwnedMailFact(fact)) }
}

private func withBytes<R>(
    _ a: String, _ b: String, _ c: String, _ d: String,
    _ body: (FactBytes, FactBytes, FactBytes, FactBytes) -> R
) -> R {
    var (a, b, c, d) = (a, b, c, d)
    return a.withUTF8 { a in b.withUTF8 { b in c.withUTF8 { c in d.withUTF8 { d in
        body(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b), UnsafeRawBufferPointer(c), UnsafeRawBufferPointer(d))
    } } } }
}

private func withOptionalBytes<R>(_ s: String?, _ body: (FactBytes?) -> R) -> R {
    guard var s else { return body(nil) }
    return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}
