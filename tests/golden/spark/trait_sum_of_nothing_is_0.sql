-- tests/test_dialects.py::test_trait_case_sql[sum_of_nothing_is_0-spark]
-- trait case 'sum of nothing is 0'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    SUM(CAST(`events`.`amount` AS DECIMAL(38, 6))) FILTER(WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)) AS `f0` /* sum of amount: purchase */
  FROM events
  WHERE
    `events`.`event` = 'purchase'
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
  GROUP BY
    `events`.`contact_id`
)
/* members of trait_sum_of_nothing_is_0: spend is 0 */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN event_facts
  ON `event_facts`.`contact_id` = `contacts`.`contact_id`
WHERE
  NOT COALESCE(`event_facts`.`f0`, 0) IS NULL
  AND COALESCE(`event_facts`.`f0`, 0) = 0
