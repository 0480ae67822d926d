-- high_intent_leads: performed pricing_page_view within 30d and performed demo_request
-- within 30d, each window [as_of - 30 days, as_of] with as_of = 2026-06-30 18:00:00 UTC.
SELECT c.contact_id
FROM contacts AS c
WHERE EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'pricing_page_view'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 30 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
  AND EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'demo_request'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 30 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY c.contact_id
