-- tests/test_dialects.py::test_case_sql[is_not_number-duckdb]
-- semantic case 'is_not number'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_not_number: lead_score is not 80 (including no lead_score) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."lead_score" IS NULL OR NOT (
    "contacts"."lead_score" = 80
  )
