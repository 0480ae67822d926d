-- Tagged VIP, or 5+ purchases in the last 365 days worth more than 5,000 together.

-- variant: exists
SELECT contact_id
FROM contacts
WHERE list_contains(tags, 'VIP')
   OR contact_id IN (
        SELECT contact_id FROM events
        WHERE event = 'purchase'
          AND ts BETWEEN TIMESTAMP '2025-06-30 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
        GROUP BY contact_id
        HAVING count(*) >= 5 AND sum(amount) > 5000
    )

-- variant: agg
SELECT c.contact_id
FROM contacts AS c
LEFT JOIN (
    SELECT contact_id, count(*) AS orders, sum(amount) AS spent
    FROM events
    WHERE event = 'purchase'
      AND ts BETWEEN TIMESTAMP '2025-06-30 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    GROUP BY contact_id
) AS p ON p.contact_id = c.contact_id
WHERE list_contains(c.tags, 'VIP')
   OR (p.orders >= 5 AND p.spent > 5000)

-- variant: setops
SELECT contact_id FROM contacts WHERE list_contains(tags, 'VIP')
UNION
SELECT contact_id FROM events
WHERE event = 'purchase'
  AND ts BETWEEN TIMESTAMP '2025-06-30 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING count(*) >= 5 AND sum(amount) > 5000
