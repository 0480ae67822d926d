-- tests/test_dialects.py::test_case_sql[contains-duckdb]
-- semantic case 'contains'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_contains: city contains "UN" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."city" IS NULL
  AND STRPOS(LOWER("contacts"."city"), LOWER('UN')) > 0
