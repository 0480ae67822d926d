-- tests/test_dialects.py::test_case_sql[last_performed_after-bigquery]
-- semantic case 'last_performed after'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      MAX(
        CASE
          WHEN `events`.`event` = 'purchase'
          AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
          THEN `events`.`ts`
        END
      ) AS `f0` /* last ts: purchase */
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL
    AND `event_facts`.`f0` >= CAST('2026-03-03 00:00:00' AS DATETIME)
    AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS DATETIME)
)
/* members of case_last_performed_after: last performed purchase after 2026-03-02 */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  NOT `event_facts`.`f0` IS NULL
  AND `event_facts`.`f0` >= CAST('2026-03-03 00:00:00' AS DATETIME)
  AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS DATETIME)
