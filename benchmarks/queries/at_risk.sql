-- Three or more purchases ever, last session more than 30 days ago
-- (before 2026-05-31 18:00:00), and not opted out (unknown counts as not).

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE c.opted_out IS DISTINCT FROM TRUE
  AND c.contact_id IN (
        SELECT contact_id FROM events
        WHERE event = 'purchase' AND ts <= TIMESTAMP '2026-06-30 18:00:00'
        GROUP BY contact_id
        HAVING count(*) >= 3
    )
  AND EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'session_start'
          AND e.ts < TIMESTAMP '2026-05-31 18:00:00'
    )
  AND NOT EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event = 'session_start'
          AND e.ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
    )

-- variant: agg
SELECT c.contact_id
FROM contacts AS c
JOIN (
    SELECT contact_id
    FROM events
    WHERE event IN ('purchase', 'session_start')
      AND ts <= TIMESTAMP '2026-06-30 18:00:00'
    GROUP BY contact_id
    HAVING count(*) FILTER (WHERE event = 'purchase') >= 3
       AND max(ts) FILTER (WHERE event = 'session_start') < TIMESTAMP '2026-05-31 18:00:00'
) AS f ON f.contact_id = c.contact_id
WHERE c.opted_out IS DISTINCT FROM TRUE

-- variant: setops
(
    SELECT contact_id FROM contacts WHERE opted_out IS DISTINCT FROM TRUE
    INTERSECT
    SELECT contact_id FROM events
    WHERE event = 'purchase' AND ts <= TIMESTAMP '2026-06-30 18:00:00'
    GROUP BY contact_id
    HAVING count(*) >= 3
    INTERSECT
    SELECT contact_id FROM events
    WHERE event = 'session_start' AND ts < TIMESTAMP '2026-05-31 18:00:00'
)
EXCEPT
SELECT contact_id FROM events
WHERE event = 'session_start'
  AND ts BETWEEN TIMESTAMP '2026-05-31 18:00:00' AND TIMESTAMP '2026-06-30 18:00:00'
