-- tests/test_dialects.py::test_example_segment_sql[abandoned_cart_48h-spark]
-- example segment abandoned_cart_48h (data/segments/abandoned_cart_48h.yaml); dialect spark, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    COUNT(*) FILTER(WHERE
      `events`.`event` = 'cart_abandoned'
      AND `events`.`ts` >= CAST('2026-06-28 18:00:00' AS TIMESTAMP_NTZ)
      AND `events`.`ts` <= CAST('2026-06-30 18:00:00' AS TIMESTAMP_NTZ)) AS `f0`, /* count: cart_abandoned in the last 48 hours */
    COUNT(*) FILTER(WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` >= CAST('2026-06-28 18:00:00' AS TIMESTAMP_NTZ)
      AND `events`.`ts` <= CAST('2026-06-30 18:00:00' AS TIMESTAMP_NTZ)) AS `f1` /* count: purchase in the last 48 hours */
  FROM events
  WHERE
    `events`.`event` IN ('cart_abandoned', 'purchase')
    AND `events`.`ts` >= CAST('2026-06-28 18:00:00' AS TIMESTAMP_NTZ)
    AND `events`.`ts` <= CAST('2026-06-30 18:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    `events`.`contact_id`
)
/* members of abandoned_cart_48h: performed cart_abandoned in the last 48 hours and did not perform purchase in the last 48 hours */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1 AND COALESCE(`event_facts`.`f1`, 0) = 0
