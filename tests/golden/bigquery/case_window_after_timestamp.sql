-- tests/test_dialects.py::test_case_sql[window_after_timestamp-bigquery]
-- semantic case 'window after timestamp'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          WHEN `events`.`event` = 'cart_abandoned'
          AND `events`.`ts` > CAST('2026-03-29 12:00:00' AS DATETIME)
          AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
          THEN 1
        END
      ) AS `f0` /* count: cart_abandoned after 2026-03-29T12:00:00Z */
    FROM events
    WHERE
      `events`.`event` = 'cart_abandoned'
      AND `events`.`ts` > CAST('2026-03-29 12:00:00' AS DATETIME)
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    COALESCE(`event_facts`.`f0`, 0) >= 1
)
/* members of case_window_after_timestamp: performed cart_abandoned after 2026-03-29T12:00:00Z */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) >= 1
