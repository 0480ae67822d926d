-- tests/test_dialects.py::test_trait_case_sql[last_value_missing-bigquery]
-- trait case 'last_value missing'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    (
      ARRAY_AGG(
        IF(
          (
            `events`.`event` = 'purchase'
            AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
          )
          AND NOT `events`.`amount` IS NULL,
          `events`.`amount`,
          NULL
        ) IGNORE NULLS ORDER BY `events`.`ts` DESC, `events`.`amount` DESC
      )
    )[SAFE_ORDINAL(1)] AS `f0` /* last value of amount: purchase */
  FROM events
  WHERE
    `events`.`event` = 'purchase'
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
  GROUP BY
    `events`.`contact_id`
)
/* members of trait_last_value_missing: last_amount is not set */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN event_facts
  ON `event_facts`.`contact_id` = `contacts`.`contact_id`
WHERE
  NOT (
    NOT `event_facts`.`f0` IS NULL
  )
