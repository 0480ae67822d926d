-- Added to cart in the last 48 hours and did not buy in the last 48 hours.

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'add_to_cart'
          AND e.ts BETWEEN TIMESTAMP '2026-06-28 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts BETWEEN TIMESTAMP '2026-06-28 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )

-- variant: agg
SELECT contact_id
FROM events
WHERE event IN ('add_to_cart', 'purchase')
  AND ts BETWEEN TIMESTAMP '2026-06-28 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING count(*) FILTER (WHERE event = 'add_to_cart') > 0
   AND count(*) FILTER (WHERE event = 'purchase') = 0

-- variant: setops
SELECT contact_id FROM events
WHERE event = 'add_to_cart'
  AND ts BETWEEN TIMESTAMP '2026-06-28 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
EXCEPT
SELECT contact_id FROM events
WHERE event = 'purchase'
  AND ts BETWEEN TIMESTAMP '2026-06-28 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
