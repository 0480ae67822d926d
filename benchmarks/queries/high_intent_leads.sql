-- Lead score 60 or more, viewed pricing in the last 30 days, no purchase in the last 30 days.

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE c.lead_score >= 60
  AND EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'pricing_page_view'
          AND e.ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'purchase'
          AND e.ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )

-- variant: agg
SELECT c.contact_id
FROM contacts AS c
JOIN (
    SELECT contact_id
    FROM events
    WHERE event IN ('pricing_page_view', 'purchase')
      AND ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    GROUP BY contact_id
    HAVING count(*) FILTER (WHERE event = 'pricing_page_view') > 0
       AND count(*) FILTER (WHERE event = 'purchase') = 0
) AS f ON f.contact_id = c.contact_id
WHERE c.lead_score >= 60

-- variant: setops
(
    SELECT contact_id FROM contacts WHERE lead_score >= 60
    INTERSECT
    SELECT contact_id FROM events
    WHERE event = 'pricing_page_view'
      AND ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
)
EXCEPT
SELECT contact_id FROM events
WHERE event = 'purchase'
  AND ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
