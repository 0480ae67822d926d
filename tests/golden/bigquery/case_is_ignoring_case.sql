-- tests/test_dialects.py::test_case_sql[is_ignoring_case-bigquery]
-- semantic case 'is ignoring case'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_ignoring_case: city is "pune" (ignoring case) */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`city` IS NULL AND LOWER(`contacts`.`city`) = LOWER('pune')
