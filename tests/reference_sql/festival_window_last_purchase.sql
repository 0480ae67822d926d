-- festival_window_last_purchase: the latest purchase up to as_of = 2026-06-30 18:00:00 UTC
-- falls on a UTC calendar day from 2025-10-10 to 2025-11-15, all of 15 November included.
SELECT contact_id
FROM events
WHERE event = 'purchase' AND ts <= TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING max(ts) >= TIMESTAMP '2025-10-10 00:00:00'
   AND max(ts) < TIMESTAMP '2025-11-16 00:00:00'
ORDER BY contact_id
