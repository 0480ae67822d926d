-- tests/test_dialects.py::test_trait_case_sql[population_is_everyone-bigquery]
-- trait case 'population is everyone'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH contact_ranks AS (
  /* per contact, its place among every contact's value (percentiles) */
  SELECT
    `contacts`.`contact_id`,
    CASE
      WHEN NOT `contacts`.`total_spent` IS NULL AND NOT IS_NAN(`contacts`.`total_spent`)
      THEN RANK() OVER (
        PARTITION BY (
          NOT `contacts`.`total_spent` IS NULL AND NOT IS_NAN(`contacts`.`total_spent`)
        )
        ORDER BY `contacts`.`total_spent` DESC
      ) - 1
    END AS `r0`,
    COUNT(
      CASE
        WHEN NOT `contacts`.`total_spent` IS NULL AND NOT IS_NAN(`contacts`.`total_spent`)
        THEN 1
      END
    ) OVER () AS `n0`
  FROM contacts
)
/* members of trait_population_is_everyone: city is "Mumbai" and total_spent is in the top 50% of all contacts */
SELECT
  `contacts`.`contact_id`
FROM contacts
LEFT JOIN contact_ranks
  ON `contact_ranks`.`contact_id` = `contacts`.`contact_id`
WHERE
  (
    NOT `contacts`.`city` IS NULL AND `contacts`.`city` = 'Mumbai'
  )
  AND (
    NOT `contact_ranks`.`r0` IS NULL
    AND 100 * `contact_ranks`.`r0` < 50 * `contact_ranks`.`n0`
  )
