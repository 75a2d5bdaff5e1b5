/// Exim's spool: placeholder until the spool reader lands (owned by the spool work).
extension EximDialect {
    public func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)? { nil }

    public func readSpool(
        _ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void
    ) {
        for root in layout.spoolRoots { diagnostics.warn(root, "Exim spool not read yet") }
    }
}
