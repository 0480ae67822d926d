-- tests/test_dialects.py::test_case_sql[after_date_on_ts-spark]
-- semantic case 'after date on ts'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_after_date_on_ts: signup_at is after 2026-01-31 */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`signup_at` IS NULL
  AND `contacts`.`signup_at` >= CAST('2026-02-01 00:00:00' AS TIMESTAMP_NTZ)
