-- tests/test_dialects.py::test_pattern_case_sql[last_between_relative-bigquery]
-- pattern case 'last between relative'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    COUNT(
      CASE
        WHEN `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2025-12-31 12:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-01 12:00:00' AS DATETIME)
        THEN 1
      END
    ) AS `f0`, /* count: payment between 90 days ago and 30 days ago */
    COUNT(
      CASE
        WHEN `events`.`event` = 'payment'
        AND `events`.`ts` > CAST('2026-03-01 12:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
        THEN 1
      END
    ) AS `f1` /* count: payment after 30 days ago */
  FROM events
  WHERE
    `events`.`event` = 'payment'
    AND `events`.`ts` >= CAST('2025-12-31 12:00:00' AS DATETIME)
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    AND (
      (
        `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2025-12-31 12:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-01 12:00:00' AS DATETIME)
      )
      OR (
        `events`.`event` = 'payment'
        AND `events`.`ts` > CAST('2026-03-01 12:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
      )
    )
  GROUP BY
    `events`.`contact_id`
)
/* members of pattern_last_between_relative: performed payment between 90 days ago and 30 days ago and did not perform payment after 30 days ago */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1 AND COALESCE(`event_facts`.`f1`, 0) = 0
