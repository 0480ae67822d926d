-- tests/test_dialects.py::test_pattern_case_sql[regularly_1_month-spark]
-- pattern case 'regularly 1 month'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      COUNT(*) FILTER(WHERE
        `events`.`event` = 'purchase'
        AND `events`.`ts` >= CAST('2026-02-28 12:00:00' AS TIMESTAMP_NTZ)
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)) AS `f0` /* count: purchase in the last 1 month */
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` >= CAST('2026-02-28 12:00:00' AS TIMESTAMP_NTZ)
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    COALESCE(`event_facts`.`f0`, 0) >= 1
)
/* members of pattern_regularly_1_month: performed purchase in the last 1 month */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1
