-- tests/test_dialects.py::test_pattern_case_sql[first_within_before-bigquery]
-- pattern case 'first within before'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      COUNT(
        CASE
          WHEN `events`.`event` = 'payment'
          AND `events`.`ts` < CAST('2026-01-10 00:00:00' AS DATETIME)
          THEN 1
        END
      ) AS `f0` /* count: payment before 2026-01-10 */
    FROM events
    WHERE
      `events`.`event` = 'payment'
      AND `events`.`ts` < CAST('2026-01-10 00:00:00' AS DATETIME)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    COALESCE(`event_facts`.`f0`, 0) >= 1
)
/* members of pattern_first_within_before: performed payment before 2026-01-10 */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1
