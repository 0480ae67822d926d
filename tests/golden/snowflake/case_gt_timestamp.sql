-- tests/test_dialects.py::test_case_sql[gt_timestamp-snowflake]
-- semantic case 'gt timestamp'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_gt_timestamp: signup_at is after 2026-03-24T12:00:00Z */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."signup_at" IS NULL
  AND "contacts"."signup_at" > CAST('2026-03-24 12:00:00' AS TIMESTAMPNTZ)
