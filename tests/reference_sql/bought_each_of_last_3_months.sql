-- bought_each_of_last_3_months: at least one purchase in each of three periods of one month
-- back from as_of = 2026-06-30 18:00:00 UTC, each boundary one subtraction of k months:
-- [05-30 18:00, as_of], [04-30 18:00, 05-30 18:00), [03-30 18:00, 04-30 18:00).
SELECT contact_id
FROM events
WHERE event = 'purchase' AND ts <= TIMESTAMP '2026-06-30 18:00:00'
GROUP BY contact_id
HAVING count(*) FILTER (WHERE ts >= TIMESTAMP '2026-05-30 18:00:00') > 0
   AND count(*) FILTER (
        WHERE ts >= TIMESTAMP '2026-04-30 18:00:00' AND ts < TIMESTAMP '2026-05-30 18:00:00'
      ) > 0
   AND count(*) FILTER (
        WHERE ts >= TIMESTAMP '2026-03-30 18:00:00' AND ts < TIMESTAMP '2026-04-30 18:00:00'
      ) > 0
ORDER BY contact_id
