-- at_risk: more than 3 support_ticket events in all history up to as_of, and no purchase
-- within 60d, window [as_of - 60 days, as_of] with as_of = 2026-06-30 18:00:00 UTC.
SELECT c.contact_id
FROM contacts AS c
WHERE (
        SELECT count(*) FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'support_ticket'
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      ) > 3
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 60 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY c.contact_id
