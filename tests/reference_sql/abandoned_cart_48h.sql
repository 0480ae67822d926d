-- abandoned_cart_48h: performed cart_abandoned within 48h and no purchase within 48h,
-- both windows [as_of - 48 hours, as_of] with as_of = 2026-06-30 18:00:00 UTC.
SELECT c.contact_id
FROM contacts AS c
WHERE EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'cart_abandoned'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 48 HOUR
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 48 HOUR
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY c.contact_id
