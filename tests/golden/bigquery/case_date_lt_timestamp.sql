-- tests/test_dialects.py::test_case_sql[date_lt_timestamp-bigquery]
-- semantic case 'date lt timestamp'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_date_lt_timestamp: birthday is before 2026-02-01T10:00:00Z */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`birthday` IS NULL
  AND `contacts`.`birthday` < CAST('2026-02-01' AS DATE)
