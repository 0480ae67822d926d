-- tests/test_dialects.py::test_case_sql[not_contains-bigquery]
-- semantic case 'not_contains'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_contains: city does not contain "un" (including no city) */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  `contacts`.`city` IS NULL
  OR NOT (
    INSTR(LOWER(`contacts`.`city`), LOWER('un')) > 0
  )
