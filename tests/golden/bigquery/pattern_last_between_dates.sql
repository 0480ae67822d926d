-- tests/test_dialects.py::test_pattern_case_sql[last_between_dates-bigquery]
-- pattern case 'last between dates'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    COUNT(
      CASE
        WHEN `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2026-01-01 00:00:00' AS DATETIME)
        AND `events`.`ts` < CAST('2026-02-01 00:00:00' AS DATETIME)
        THEN 1
      END
    ) AS `f0`, /* count: payment between 2026-01-01 and 2026-01-31 */
    COUNT(
      CASE
        WHEN `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2026-02-01 00:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
        THEN 1
      END
    ) AS `f1` /* count: payment after 2026-01-31 */
  FROM events
  WHERE
    `events`.`event` = 'payment'
    AND `events`.`ts` >= CAST('2026-01-01 00:00:00' AS DATETIME)
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    AND (
      (
        `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2026-01-01 00:00:00' AS DATETIME)
        AND `events`.`ts` < CAST('2026-02-01 00:00:00' AS DATETIME)
      )
      OR (
        `events`.`event` = 'payment'
        AND `events`.`ts` >= CAST('2026-02-01 00:00:00' AS DATETIME)
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
      )
    )
  GROUP BY
    `events`.`contact_id`
)
/* members of pattern_last_between_dates: performed payment between 2026-01-01 and 2026-01-31 and did not perform payment after 2026-01-31 */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1 AND COALESCE(`event_facts`.`f1`, 0) = 0
