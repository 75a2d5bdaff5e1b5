/// Exim's spool: read from its files, changed through the exim binary.
extension EximDialect {
    /// Moving files behind a running Exim's back is unsafe: changes go through exim (-Mf, -Mt,
    /// -Mrm). `--server-config` is Exim's configuration file (`exim -C`).
    public func queueControl(spoolRoot: String, settings: QueueToolSettings) -> (any QueueControl)? {
        EximControl(spoolDirectory: spoolRoot, command: settings.command, configFile: settings.configDirectory,
                    namedQueue: settings.namedQueue)
    }

    public func readSpool(
        _ layout: ServerLayout, threads: Int, diagnostics: inout Diagnostics, visit: (QueuedMessage) -> Void
    ) {
        for root in layout.spoolRoots {
            var walker = EximSpoolWalker(diagnostics: diagnostics)
            walker.threads = threads
            walker.walk(spoolDirectory: root, visit: visit)
            diagnostics = walker.diagnostics
        }
    }
}
