-- `spoolsweep summary --top 0`'s mailboxes (JSON "mailboxes"): every mailbox of a domain its
-- host serves, what it sent (as the account, or the envelope sender of unauthenticated mail)
-- and what it received (each time it was a recipient, with the message's bytes).
SELECT
    mailbox,
    sum(sent) AS sent, sum(sent_recipients) AS sent_recipients,
    length(arrayDistinct(arrayFlatten(groupArray(domains)))) AS recipient_domains,
    sum(sent_bytes) AS sent_bytes, sum(received) AS received, sum(received_bytes) AS received_bytes
FROM
(
    SELECT mailbox, host_domains, 1 AS sent, length(recipients) AS sent_recipients, recipient_domains AS domains,
           size AS sent_bytes, 0 AS received, 0 AS received_bytes
    FROM mail.accepted
    UNION ALL
    SELECT r, host_domains, 0, 0, [], 0, 1, size
    FROM mail.accepted ARRAY JOIN recipients AS r
)
WHERE has(host_domains, mailDomain(mailbox))
GROUP BY mailbox
ORDER BY mailbox;
