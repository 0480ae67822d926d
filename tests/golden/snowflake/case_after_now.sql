-- tests/test_dialects.py::test_case_sql[after_now-snowflake]
-- semantic case 'after now'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_after_now: signup_at is after now */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."signup_at" IS NULL
  AND "contacts"."signup_at" > CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
