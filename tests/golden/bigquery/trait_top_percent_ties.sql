-- tests/test_dialects.py::test_trait_case_sql[top_percent_ties-bigquery]
-- trait case 'top_percent ties'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    `events`.`contact_id`,
    COUNT(
      CASE
        WHEN `events`.`event` = 'purchase'
        AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
        THEN 1
      END
    ) AS `f0` /* count: purchase */
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
      THEN RANK() OVER (
        PARTITION BY (
          NOT COALESCE(`event_facts`.`f0`, 0) IS NULL
        )
        ORDER BY COALESCE(`event_facts`.`f0`, 0) DESC
      ) - 1
    END AS `r0`,
    COUNT(CASE WHEN NOT COALESCE(`event_facts`.`f0`, 0) IS NULL THEN 1 END) OVER () AS `n0`
  FROM contacts
  LEFT JOIN event_facts
    ON `event_facts`.`contact_id` = `contacts`.`contact_id`
)
/* members of trait_top_percent_ties: orders is in the top 12.5% of all contacts */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN event_facts
  ON `event_facts`.`contact_id` = `contacts`.`contact_id`
LEFT JOIN contact_ranks
  ON `contact_ranks`.`contact_id` = `contacts`.`contact_id`
WHERE
  NOT `contact_ranks`.`r0` IS NULL
  AND 200 * `contact_ranks`.`r0` < 25 * `contact_ranks`.`n0`
