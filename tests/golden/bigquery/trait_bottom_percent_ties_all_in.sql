-- tests/test_dialects.py::test_trait_case_sql[bottom_percent_ties_all_in-bigquery]
-- trait case 'bottom_percent ties all in'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    SUM(
      CASE
        WHEN `events`.`event` = 'purchase'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
        THEN CAST(`events`.`amount` AS BIGNUMERIC)
      END
    ) AS `f0` /* sum of amount: purchase */
  FROM events
  WHERE
    `events`.`event` = 'purchase'
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
  GROUP BY
    `events`.`contact_id`
), contact_ranks AS (
  /* per contact, its place among every contact's value (percentiles) */
  SELECT
    `contacts`.`contact_id`,
    CASE
      WHEN NOT COALESCE(`event_facts`.`f0`, 0) IS NULL
      AND NOT IS_NAN(COALESCE(`event_facts`.`f0`, 0))
      THEN RANK() OVER (
        PARTITION BY (
          NOT COALESCE(`event_facts`.`f0`, 0) IS NULL
          AND NOT IS_NAN(COALESCE(`event_facts`.`f0`, 0))
        )
        ORDER BY COALESCE(`event_facts`.`f0`, 0) ASC NULLS LAST
      ) - 1
    END AS `r0`,
    COUNT(
      CASE
        WHEN NOT COALESCE(`event_facts`.`f0`, 0) IS NULL
        AND NOT IS_NAN(COALESCE(`event_facts`.`f0`, 0))
        THEN 1
      END
    ) OVER () AS `n0`
  FROM contacts
  LEFT JOIN event_facts
    ON `event_facts`.`contact_id` = `contacts`.`contact_id`
)
/* members of trait_bottom_percent_ties_all_in: spend is in the bottom 50% of all contacts */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN event_facts
  ON `event_facts`.`contact_id` = `contacts`.`contact_id`
LEFT JOIN contact_ranks
  ON `contact_ranks`.`contact_id` = `contacts`.`contact_id`
WHERE
  NOT `contact_ranks`.`r0` IS NULL
  AND 100 * `contact_ranks`.`r0` < 50 * `contact_ranks`.`n0`
