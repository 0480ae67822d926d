-- tests/test_dialects.py::test_case_sql[not_last_performed_never_performed_included-spark]
-- semantic case 'not last_performed: never performed included'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      MAX(`events`.`ts`) FILTER(WHERE
        `events`.`event` = 'login'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)) AS `f0` /* last ts: login */
    FROM events
    WHERE
      `events`.`event` = 'login'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL
    AND `event_facts`.`f0` >= CAST('2026-03-17 12:00:00' AS TIMESTAMP_NTZ)
    AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
)
/* members of case_not_last_performed_never_performed_included: not (last performed login within the last 14 days) */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN event_facts
  ON `event_facts`.`contact_id` = `contacts`.`contact_id`
WHERE
  NOT (
    NOT `event_facts`.`f0` IS NULL
    AND `event_facts`.`f0` >= CAST('2026-03-17 12:00:00' AS TIMESTAMP_NTZ)
    AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
  )
