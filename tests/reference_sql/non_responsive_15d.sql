-- non_responsive_15d: performed message_received within 15d and no message_replied within
-- 15d, each window [as_of - 15 days, as_of] with as_of = 2026-06-30 18:00:00 UTC.
SELECT c.contact_id
FROM contacts AS c
WHERE EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'message_received'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 15 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'message_replied'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 15 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY c.contact_id
