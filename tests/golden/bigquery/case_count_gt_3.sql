-- tests/test_dialects.py::test_case_sql[count_gt_3-bigquery]
-- semantic case 'count gt 3'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          WHEN `events`.`event` = 'support_ticket'
          AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
          THEN 1
        END
      ) AS `f0` /* count: support_ticket */
    FROM events
    WHERE
      `events`.`event` = 'support_ticket'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    COALESCE(`event_facts`.`f0`, 0) > 3
)
/* members of case_count_gt_3: performed support_ticket more than 3 times */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  COALESCE(`event_facts`.`f0`, 0) > 3
