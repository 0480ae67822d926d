-- tests/test_dialects.py::test_case_sql[has-duckdb]
-- semantic case 'has'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_has: tags has "VIP" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."tags" IS NULL AND ARRAY_CONTAINS("contacts"."tags", 'VIP')
