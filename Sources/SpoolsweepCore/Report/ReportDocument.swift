/// A report as one document: built once by each report, turned into text, JSON, CSV or HTML by
/// the generic renderers (`ReportDocument.rendered(_:)`, one file per format).
///
/// A document is a title, a few lines under it, and nodes: fields (a label and a typed value),
/// tables (typed columns), sections (a title over nodes; in JSON an object, or merged into the
/// one around it), lists of sections (in JSON an array of objects) and charts. Each node says
/// which formats show it: what a person reads and what a script parses are not always the same
/// figure (the text's "remote delivery attempts" is the JSON's delivered + deferred + bounced).
public struct ReportDocument: Sendable {
    /// The first line of the text, the HTML page's heading and title.
    public var title: String
    /// Whether the text starts with the title (a listing shows its table alone).
    public var titleInText = true
    /// Lines under the title (text and HTML).
    public var lines: [String]
    public var nodes: [ReportNode]

    public init(title: String, lines: [String] = [], nodes: [ReportNode] = []) {
        self.title = title
        self.lines = lines
        self.nodes = nodes
    }

    /// The document in `format`. JSON Lines: each row of its tables marked `lines`, an object a
    /// line (a report without one is refused JSON Lines before it is built). `color`: text with
    /// ANSI colours (titles bold, tones coloured), for a terminal.
    public func rendered(_ format: OutputFormat, color: Bool = false) -> String {
        switch format {
        case .text: return TextRenderer.render(self, color: color)
        case .json: return json().rendered()
        case .jsonl: return JSONRenderer.lines(self)
        case .csv: return CSVRenderer.render(self)
        case .html: return HTMLRenderer.render(self)
        }
    }

    public func json() -> JSON { JSONRenderer.render(self) }

    /// This document with its title in HTML only (its text starts with its first section).
    public func hidingTitle() -> ReportDocument {
        var d = self
        d.titleInText = false
        return d
    }
}

/// How a person's eye should be drawn to a field, a row or a series: in text by ANSI colours on
/// a terminal, in HTML by colour.
public enum ReportTone: Sendable {
    case plain, strong, good, warning, bad
}

/// The formats a node appears in.
public struct ReportFormats: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let text = ReportFormats(rawValue: 1)
    public static let json = ReportFormats(rawValue: 2)
    public static let csv = ReportFormats(rawValue: 4)
    public static let html = ReportFormats(rawValue: 8)
    public static let all: ReportFormats = [.text, .json, .csv, .html]
    /// What a person reads: text and HTML.
    public static let read: ReportFormats = [.text, .html]
}

public indirect enum ReportNode: Sendable {
    case field(ReportField)
    case table(ReportTable)
    case section(ReportSection)
    /// Sections of one shape, one after the other: in JSON an array of their objects under `key`.
    case list(key: String, [ReportSection], shown: ReportFormats = .all)
    /// A line of prose (text and HTML), indented in text by the section's indent.
    case line(String)
    /// A command to run: a line in text; in HTML code with a copy button (when scripts run).
    case command(String)
    /// A picture of a table's figures: HTML only.
    case chart(ReportChart)

    /// A field shown everywhere.
    public static func value(_ key: String?, _ label: String?, _ value: ReportValue, note: String? = nil,
                             shown: ReportFormats = .all, tone: ReportTone = .plain) -> ReportNode {
        var f = ReportField(key: key, label: label, value: value, note: note, shown: shown)
        f.tone = tone
        return .field(f)
    }

    /// A value only JSON prints (a member of the object the node is in).
    public static func json(_ key: String, _ value: JSON) -> ReportNode {
        .field(ReportField(key: key, label: nil, value: .json(value), shown: .json))
    }
}

/// A typed value: each renderer writes it its own way (a size is `12.4 MiB` in text and a
/// number of bytes in JSON and CSV).
public enum ReportValue: Sendable {
    case count(Int)
    /// A size in bytes: in text and HTML `12.4 MiB`, in JSON and CSV the number.
    case bytes(Int)
    /// Seconds: in text and HTML pflogsumm's `11.7 m`, in JSON and CSV the number.
    case delay(Double)
    case time(LocalTime?)
    /// An hour of the day: `07:00` to a person, `7` in JSON.
    case hour(Int)
    /// An age in seconds: `3h05m` to a person, the seconds in JSON and CSV.
    case age(Int64)
    case percent(Int)
    case flag(Bool)
    /// Attacker text (subjects, HELOs): made safe for a terminal, escaped in HTML.
    case text(String)
    /// An address, IP or host name: as text, in a fixed-width font in HTML.
    case address(String)
    /// In JSON an array of strings; in text joined by `, `, in CSV by spaces.
    case list([String])
    /// A structure only JSON shows as such (text and CSV show its compact JSON).
    case json(JSON)
    /// No value: `null` in JSON, `-` (or the column's `blank`) in text, empty in CSV.
    case none
    /// No member at all in JSON (an optional one); blank elsewhere.
    case omitted

    public static func optional(_ s: String?) -> ReportValue { s.map(ReportValue.text) ?? .none }
}

public struct ReportField: Sendable {
    /// The JSON member's name; nil: not in JSON.
    public var key: String?
    /// The label a person reads; nil: not in text or HTML.
    public var label: String?
    public var value: ReportValue
    /// Words after the value (text and HTML): `(delivered 12, deferred 3)`.
    public var note: String?
    public var shown: ReportFormats
    /// In text on a line of its own, `label: value`, not in the aligned block of fields.
    public var inline = false
    public var tone = ReportTone.plain

    public init(key: String?, label: String?, value: ReportValue, note: String? = nil, shown: ReportFormats = .all,
                inline: Bool = false) {
        self.key = key
        self.label = label
        self.value = value
        self.note = note
        self.shown = shown
        self.inline = inline
    }
}

public struct ReportColumn: Sendable {
    /// The header a person reads.
    public var title: String
    /// The JSON member and CSV header; nil: text and HTML only.
    public var key: String?
    /// The CSV header, when it is not `key`.
    public var csvKey: String?
    public var shown: ReportFormats
    /// Right-aligned in text (numbers); by default from the values.
    public var alignRight: Bool?
    /// Text and HTML: what stands for no value or an empty one (`<>` for the null sender).
    public var blank: String?
    /// Text: cut to this many characters with an ellipsis (subjects, long addresses).
    public var clip: Int?

    public init(_ title: String, key: String?, csv: String? = nil, shown: ReportFormats = .all, right: Bool? = nil,
                blank: String? = nil, clip: Int? = nil) {
        self.title = title
        self.key = key
        csvKey = csv
        self.shown = shown
        alignRight = right
        self.blank = blank
        self.clip = clip
    }
}

/// A table: in text aligned columns, in JSON an array of objects under `key` (or nothing without
/// one), in HTML a table sortable by clicking its headers. CSV has the tables made for it (a
/// spreadsheet's blocks), each with its header row: by default a table is not in it.
public struct ReportTable: Sendable {
    public var key: String?
    public var columns: [ReportColumn]
    public var rows: [[ReportValue]]
    public var shown: ReportFormats
    /// Text: the header row is printed; the text written when there is no row (`(none)`; nil:
    /// the header alone).
    public var header = true
    public var empty: String? = "(none)"
    /// Text: the gap between columns.
    public var gap = 2
    /// Each row's tone (empty: all plain).
    public var tones: [ReportTone] = []
    /// JSON Lines writes its rows (the messages of a listing).
    public var lines = false

    public init(key: String?, columns: [ReportColumn], rows: [[ReportValue]] = [], shown: ReportFormats = [.text, .json, .html],
                tones: [ReportTone] = []) {
        self.key = key
        self.columns = columns
        self.rows = rows
        self.shown = shown
        self.tones = tones
    }

    public mutating func add(_ row: [ReportValue]) {
        precondition(row.count == columns.count, "row width")
        rows.append(row)
    }
}

/// A titled group of nodes. In JSON an object under `key`, or without one its members merged into
/// the object around it.
public struct ReportSection: Sendable {
    public var title: String?
    public var key: String?
    public var nodes: [ReportNode]
    public var shown: ReportFormats
    /// Text: the indent of its tables, lines and fields.
    public var indent = 2
    /// Text: where its blank line goes.
    public var spacing = Spacing.before

    public enum Spacing: Sendable {
        /// Before the title: the usual section.
        case before
        /// After its last line: a list's items.
        case after
        /// None: a line that follows a list.
        case none
    }

    public init(_ title: String?, key: String? = nil, shown: ReportFormats = .all, _ nodes: [ReportNode]) {
        self.title = title
        self.key = key
        self.nodes = nodes
        self.shown = shown
    }

    /// This section with its text indented by `indent`.
    public func indented(_ indent: Int) -> ReportSection {
        var s = self
        s.indent = indent
        return s
    }

    /// This section with its blank line at `spacing`.
    public func spaced(_ spacing: Spacing) -> ReportSection {
        var s = self
        s.spacing = spacing
        return s
    }
}

/// A chart of some figures (HTML, as inline SVG).
public struct ReportChart: Sendable {
    public enum Kind: Sendable {
        /// Vertical bars, one per label, each stacking its series.
        case stackedBars
        /// One line per series over the labels.
        case lines
        /// Horizontal bars of one series, longest first: a ranking.
        case ranking
    }

    public struct Series: Sendable {
        public var name: String
        public var values: [Int]
        /// Its colour: by default (plain) the next of the palette; delivered, deferred and
        /// bounced say good, warning and bad.
        public var tone: ReportTone

        public init(_ name: String, _ values: [Int], tone: ReportTone = .plain) {
            self.name = name
            self.values = values
            self.tone = tone
        }
    }


    /// A moment marked on the chart: an index of `labels` and what happened then.
    public struct Mark: Sendable {
        public var index: Int
        public var text: String
        public init(at index: Int, _ text: String) {
            self.index = index
            self.text = text
        }
    }

    public var title: String
    public var kind: Kind
    public var labels: [String]
    public var series: [Series]
    /// A horizontal line (a threshold), with its label.
    public var threshold: (value: Int, label: String)?
    public var marks: [Mark]

    public init(_ title: String, _ kind: Kind, labels: [String], series: [Series],
                threshold: (value: Int, label: String)? = nil, marks: [Mark] = []) {
        self.title = title
        self.kind = kind
        self.labels = labels
        self.series = series
        self.threshold = threshold
        self.marks = marks
    }
}

/// The output formats: every report offers text, JSON, CSV and HTML; `spool list` also JSON Lines.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// `jsonl` (JSON Lines, one object a line) only for `spool list`: the CLI refuses it elsewhere.
    case text, json, csv, jsonl, html
}

/// A report: built once as a document, which the renderers turn into each format.
public protocol Report {
    var document: ReportDocument { get }
}

extension Report {
    public func rendered(_ format: OutputFormat) -> String { document.rendered(format) }
    public func json() -> JSON { document.json() }
}
