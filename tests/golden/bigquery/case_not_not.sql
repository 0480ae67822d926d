-- tests/test_dialects.py::test_case_sql[not_not-bigquery]
-- semantic case 'not not'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_not: city is not "Pune" (including no city) */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  `contacts`.`city` IS NULL OR NOT (
    `contacts`.`city` = 'Pune'
  )
