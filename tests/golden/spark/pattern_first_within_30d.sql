-- tests/test_dialects.py::test_pattern_case_sql[first_within_30d-spark]
-- pattern case 'first within 30d'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      MIN(`events`.`ts`) FILTER(WHERE
        `events`.`event` = 'payment'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)) AS `f0` /* first ts: payment */
    FROM events
    WHERE
      `events`.`event` = 'payment'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL
    AND `event_facts`.`f0` >= CAST('2026-03-01 12:00:00' AS TIMESTAMP_NTZ)
    AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
)
/* members of pattern_first_within_30d: first performed payment within the last 30 days */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  NOT `event_facts`.`f0` IS NULL
  AND `event_facts`.`f0` >= CAST('2026-03-01 12:00:00' AS TIMESTAMP_NTZ)
  AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
