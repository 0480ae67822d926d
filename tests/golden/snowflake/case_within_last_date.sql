-- tests/test_dialects.py::test_case_sql[within_last_date-snowflake]
-- semantic case 'within_last date'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_within_last_date: birthday is within the last 7 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."birthday" IS NULL
  AND "contacts"."birthday" BETWEEN CAST('2026-03-24' AS DATE) AND CAST('2026-03-31' AS DATE)
