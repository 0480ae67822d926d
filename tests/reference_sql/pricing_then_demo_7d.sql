-- pricing_then_demo_7d: a demo_request with a pricing_page_view strictly before it and at
-- most 7 days before it, both up to as_of = 2026-06-30 18:00:00 UTC (any such pair counts).
SELECT DISTINCT d.contact_id
FROM events AS d
WHERE d.event = 'demo_request'
  AND d.ts <= TIMESTAMP '2026-06-30 18:00:00'
  AND EXISTS (
        SELECT 1 FROM events AS p
        WHERE p.contact_id = d.contact_id
          AND p.event = 'pricing_page_view'
          AND p.ts < d.ts
          AND d.ts - p.ts <= INTERVAL 7 DAY
      )
ORDER BY d.contact_id
