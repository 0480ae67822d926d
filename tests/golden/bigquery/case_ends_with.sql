-- tests/test_dialects.py::test_case_sql[ends_with-bigquery]
-- semantic case 'ends_with'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_ends_with: email ends with "X.COM" */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`email` IS NULL
  AND ENDS_WITH(LOWER(`contacts`.`email`), LOWER('X.COM'))
