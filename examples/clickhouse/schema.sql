-- spoolsweep events (schema version 1) in ClickHouse: one row per event, as
-- `spoolsweep events` writes them (JSONEachRow). Load with
--   spoolsweep events --host mx1 /var/log/mail.log |
--     clickhouse-client --query "INSERT INTO mail.events FORMAT JSONEachRow"
-- A field an event type does not have takes its column's default ('' or 0, false, []).
CREATE DATABASE IF NOT EXISTS mail;

-- The e-mail domain of an address, as spoolsweep takes it: after the last '@' (the whole
-- address when it has none).
CREATE FUNCTION IF NOT EXISTS mailDomain AS (address) -> splitByChar('@', address)[-1];

CREATE TABLE IF NOT EXISTS mail.events
(
    v            UInt8,
    host         LowCardinality(String),
    server       LowCardinality(String),
    type         LowCardinality(String),
    -- As written: the server's wall clock with its UTC offset, 2026-11-28T09:14:02.045+01:00.
    time         String,
    -- The instant (UTC), and the server's wall clock (what spoolsweep's days and hours are).
    at           DateTime64(3, 'UTC') MATERIALIZED parseDateTime64BestEffortOrZero(time, 3, 'UTC'),
    wall         DateTime64(3, 'UTC') MATERIALIZED parseDateTime64BestEffortOrZero(substring(time, 1, 23), 3, 'UTC'),
    key          String,
    client_ip    String,
    account      Nullable(String),      -- null: not authenticated
    sender       Nullable(String),      -- accepted: '' for <>; delivery: null when the line names none
    sender_known Bool DEFAULT true,
    recipients   Array(String),
    size         UInt64,
    protocol     LowCardinality(String),
    spool_file   String,
    helo         String,
    message_id   String,
    recipient    String,
    code         UInt16,
    local        Bool,
    outcome      LowCardinality(String), -- delivered, deferred, bounced
    word         LowCardinality(String),
    detail       String,
    attempt      UInt32,
    ip           String,
    success      Bool,
    rule         LowCardinality(String),
    queue        LowCardinality(String),
    state        LowCardinality(String),
    session      String,
    attempts     Nullable(UInt32),
    next_attempt String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(wall)
ORDER BY (type, host, wall);
