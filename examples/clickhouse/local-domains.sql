-- The domains each host serves, as spoolsweep learns them from its logs: an account's domain
-- (it authenticated or logged in), and the domain of a local delivery. The other queries use
-- it as a view. (spoolsweep's --local-domain adds to these; add such domains here by hand.)
CREATE VIEW IF NOT EXISTS mail.local_domains AS
SELECT host, groupUniqArray(domain) AS domains
FROM
(
    SELECT host, mailDomain(assumeNotNull(account)) AS domain
    FROM mail.events
    WHERE (type = 'accepted' AND account IS NOT NULL) OR (type = 'login' AND success AND ifNull(account, '') != '')
    UNION ALL
    SELECT host, mailDomain(recipient) FROM mail.events WHERE type = 'delivery' AND local
)
GROUP BY host;

-- Accepted messages with what their direction depends on: authenticated (an account), else
-- inbound when every recipient domain is one of its host's, else relayed.
CREATE VIEW IF NOT EXISTS mail.accepted AS
SELECT
    e.host AS host,
    e.wall AS wall,
    e.account AS account,
    e.client_ip AS client_ip,
    coalesce(e.account, e.sender, '') AS mailbox,   -- who sent it: the account, else the envelope sender
    e.recipients AS recipients,
    e.size AS size,
    arrayDistinct(arrayMap(r -> mailDomain(r), e.recipients)) AS recipient_domains,
    l.domains AS host_domains,
    multiIf(e.account IS NOT NULL, 'authenticated', hasAll(l.domains, recipient_domains), 'inbound', 'relayed') AS direction
FROM mail.events AS e
LEFT JOIN mail.local_domains AS l USING (host)
WHERE e.type = 'accepted';
