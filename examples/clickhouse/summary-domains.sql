-- `spoolsweep summary`'s per-domain table (JSON "domains"): each domain a host serves, the
-- messages to it (in_: one per message, each recipient, the message's bytes once) and from
-- its mailboxes (out_).
SELECT
    domain,
    sum(in_messages) AS in_messages, sum(in_recipients) AS in_recipients, sum(in_bytes) AS in_bytes,
    sum(out_messages) AS out_messages, sum(out_recipients) AS out_recipients, sum(out_bytes) AS out_bytes
FROM
(
    SELECT d AS domain, host_domains, 1 AS in_messages,
           countEqual(arrayMap(r -> mailDomain(r), recipients), d) AS in_recipients, size AS in_bytes,
           0 AS out_messages, 0 AS out_recipients, 0 AS out_bytes
    FROM mail.accepted ARRAY JOIN recipient_domains AS d
    UNION ALL
    SELECT mailDomain(mailbox), host_domains, 0, 0, 0, 1, length(recipients), size
    FROM mail.accepted
)
WHERE has(host_domains, domain)
GROUP BY domain
ORDER BY domain;
