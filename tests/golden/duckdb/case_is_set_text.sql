-- tests/test_dialects.py::test_case_sql[is_set_text-duckdb]
-- semantic case 'is_set text'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_set_text: city is set */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."city" IS NULL AND "contacts"."city" <> ''
