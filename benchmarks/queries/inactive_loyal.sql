-- Spent over 10,000 and bought nothing in the last 90 days.

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE c.total_spent > 10000
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts BETWEEN TIMESTAMP '2026-04-01 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )

-- variant: agg
SELECT c.contact_id
FROM contacts AS c
LEFT JOIN (
    SELECT contact_id, count(*) AS purchases
    FROM events
    WHERE event = 'purchase'
      AND ts BETWEEN TIMESTAMP '2026-04-01 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    GROUP BY contact_id
) AS p ON p.contact_id = c.contact_id
WHERE c.total_spent > 10000
  AND p.contact_id IS NULL

-- variant: setops
SELECT contact_id FROM contacts WHERE total_spent > 10000
EXCEPT
SELECT contact_id FROM events
WHERE event = 'purchase'
  AND ts BETWEEN TIMESTAMP '2026-04-01 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
