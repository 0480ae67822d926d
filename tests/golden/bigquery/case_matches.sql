-- tests/test_dialects.py::test_case_sql[matches-bigquery]
-- semantic case 'matches'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_matches: email matches the pattern "^[a-c]@" */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`email` IS NULL AND REGEXP_CONTAINS(`contacts`.`email`, '^[a-c]@')
