-- tests/test_dialects.py::test_case_sql[between_dates_on_ts_covers_last_day-duckdb]
-- semantic case 'between dates on ts covers last day'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_between_dates_on_ts_covers_last_day: signup_at is between 2026-01-01 and 2026-01-31 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."signup_at" IS NULL
  AND (
    "contacts"."signup_at" >= CAST('2026-01-01 00:00:00' AS TIMESTAMP)
    AND "contacts"."signup_at" < CAST('2026-02-01 00:00:00' AS TIMESTAMP)
  )
