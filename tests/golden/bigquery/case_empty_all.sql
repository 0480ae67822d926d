-- tests/test_dialects.py::test_case_sql[empty_all-bigquery]
-- semantic case 'empty all'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_empty_all: everyone */
SELECT
  `contacts`.`contact_id`
FROM contacts
