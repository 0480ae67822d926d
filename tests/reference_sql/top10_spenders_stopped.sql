-- top10_spenders_stopped: lifetime_spend (sum of purchase amounts up to as_of, 0 without any)
-- in the top 10% of every contact's value (fewer than 10% of contacts spent more), and
-- stopped buying: a purchase in [as_of - 60d - 180d, as_of - 60d) and none in
-- [as_of - 60d, as_of], as_of = 2026-06-30 18:00:00 UTC.
WITH spend AS (
    SELECT c.contact_id,
           coalesce((
               SELECT sum(e.amount) FROM events AS e
               WHERE e.contact_id = c.contact_id
                 AND e.event = 'purchase'
                 AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
           ), 0) AS v
    FROM contacts AS c
),
ranked AS (
    SELECT s.contact_id,
           (SELECT count(*) FROM spend AS o WHERE o.v > s.v) AS spent_more,
           (SELECT count(*) FROM spend) AS n
    FROM spend AS s
)
SELECT r.contact_id
FROM ranked AS r
WHERE 100 * r.spent_more < 10 * r.n
  AND EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = r.contact_id
          AND e.event = 'purchase'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 60 DAY - INTERVAL 180 DAY
          AND e.ts < TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 60 DAY
      )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = r.contact_id
          AND e.event = 'purchase'
          AND e.ts >= TIMESTAMP '2026-06-30 18:00:00' - INTERVAL 60 DAY
          AND e.ts <= TIMESTAMP '2026-06-30 18:00:00'
      )
ORDER BY r.contact_id
