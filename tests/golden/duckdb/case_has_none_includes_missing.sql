-- tests/test_dialects.py::test_case_sql[has_none_includes_missing-duckdb]
-- semantic case 'has_none includes missing'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_has_none_includes_missing: tags does not have "VIP" (including no tags) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."tags" IS NULL OR NOT (
    ARRAY_CONTAINS("contacts"."tags", 'VIP')
  )
