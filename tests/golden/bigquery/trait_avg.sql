-- tests/test_dialects.py::test_trait_case_sql[avg-bigquery]
-- trait case 'avg'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      CAST(SUM(
        CASE
          WHEN `events`.`event` = 'purchase'
          AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
          THEN CAST(`events`.`amount` AS BIGNUMERIC)
        END
      ) AS FLOAT64) / NULLIF(
        COUNT(
          CASE
            WHEN `events`.`event` = 'purchase'
            AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
            THEN `events`.`amount`
          END
        ),
        0
      ) AS `f0` /* avg of amount: purchase */
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL AND `event_facts`.`f0` < 100
)
/* members of trait_avg: average_amount is less than 100 */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  NOT `event_facts`.`f0` IS NULL AND `event_facts`.`f0` < 100
