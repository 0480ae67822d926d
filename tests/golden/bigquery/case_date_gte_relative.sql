-- tests/test_dialects.py::test_case_sql[date_gte_relative-bigquery]
-- semantic case 'date gte relative'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_date_gte_relative: birthday is on or after 7 days ago */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`birthday` IS NULL
  AND `contacts`.`birthday` >= CAST('2026-03-24' AS DATE)
