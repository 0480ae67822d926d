-- inactive_loyal: total_spent > 10000 (a missing total_spent never matches) and no purchase
-- within 90d, window [as_of - 90 days, as_of] with as_of = 2026-06-30 18:00:00 UTC.
SELECT c.contact_id
FROM contacts AS c
WHERE c.total_spent > 10000
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 90 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY c.contact_id
