-- tests/test_dialects.py::test_case_sql[within_last_ts_edge-bigquery]
-- semantic case 'within_last ts edge'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_within_last_ts_edge: signup_at is within the last 7 days */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`signup_at` IS NULL
  AND (
    `contacts`.`signup_at` >= CAST('2026-03-24 12:00:00' AS DATETIME)
    AND `contacts`.`signup_at` <= CAST('2026-03-31 12:00:00' AS DATETIME)
  )
