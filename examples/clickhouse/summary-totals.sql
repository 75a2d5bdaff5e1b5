-- `spoolsweep summary`'s totals (JSON "totals"), over every host's events.
SELECT
    a.accepted, a.inbound, a.authenticated, a.relayed, a.recipients, a.bytes,
    o.local_deliveries, o.delivered, o.deferred, o.bounced, o.rejected, o.failed_logins
FROM
(
    SELECT
        count() AS accepted,
        countIf(direction = 'inbound') AS inbound,
        countIf(direction = 'authenticated') AS authenticated,
        countIf(direction = 'relayed') AS relayed,
        sum(length(recipients)) AS recipients,
        sum(size) AS bytes
    FROM mail.accepted
) AS a
CROSS JOIN
(
    SELECT
        countIf(type = 'delivery' AND local) AS local_deliveries,
        countIf(type = 'delivery' AND NOT local AND outcome = 'delivered') AS delivered,
        countIf(type = 'delivery' AND NOT local AND outcome = 'deferred') AS deferred,
        countIf(type = 'delivery' AND NOT local AND outcome = 'bounced') AS bounced,
        -- refusals that stand: 5xx, or no code given
        countIf((type = 'recipient_rejected' AND code >= 500) OR (type = 'rejected' AND (code = 0 OR code >= 500))) AS rejected,
        countIf(type = 'login' AND NOT success) AS failed_logins
    FROM mail.events
) AS o;
