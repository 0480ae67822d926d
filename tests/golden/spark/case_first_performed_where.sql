-- tests/test_dialects.py::test_case_sql[first_performed_where-spark]
-- semantic case 'first_performed where'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      MIN(`events`.`ts`) FILTER(WHERE
        `events`.`event` = 'purchase'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
        AND (
          NOT `events`.`category` IS NULL AND `events`.`category` = 'shoes'
        )) AS `f0` /* first ts: purchase (where category is "shoes") */
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
      AND (
        `events`.`event` = 'purchase'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
        AND (
          NOT `events`.`category` IS NULL AND `events`.`category` = 'shoes'
        )
      )
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL
    AND `event_facts`.`f0` >= CAST('2026-02-02 00:00:00' AS TIMESTAMP_NTZ)
    AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
)
/* members of case_first_performed_where: first performed purchase (where category is "shoes") after 2026-02-01 */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  NOT `event_facts`.`f0` IS NULL
  AND `event_facts`.`f0` >= CAST('2026-02-02 00:00:00' AS TIMESTAMP_NTZ)
  AND `event_facts`.`f0` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
