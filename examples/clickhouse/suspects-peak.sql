-- `spoolsweep suspects`' peak rate per account (JSON "peak_in_window"): the most messages the
-- account sent within any 10 minutes, over windows (t - 10 min, t] ending at each message, on
-- the server's wall clock. {preceding_ms:UInt64} is the window in milliseconds less one
-- (599999 for 10 minutes): clickhouse-client --param_preceding_ms=599999 --queries-file suspects-peak.sql
SELECT account, max(in_window) AS peak_in_window
FROM
(
    SELECT
        assumeNotNull(account) AS account,
        count() OVER (PARTITION BY account ORDER BY toUnixTimestamp64Milli(wall)
                      RANGE BETWEEN {preceding_ms:UInt64} PRECEDING AND CURRENT ROW) AS in_window
    FROM mail.accepted
    WHERE direction = 'authenticated'
)
GROUP BY account
ORDER BY account;
