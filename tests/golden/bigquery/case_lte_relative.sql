-- tests/test_dialects.py::test_case_sql[lte_relative-bigquery]
-- semantic case 'lte relative'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_lte_relative: signup_at is on or before 7 days ago */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`signup_at` IS NULL
  AND `contacts`.`signup_at` <= CAST('2026-03-24 12:00:00' AS DATETIME)
