-- tests/test_dialects.py::test_case_sql[is_set_list-duckdb]
-- semantic case 'is_set list'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_set_list: tags is set */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."tags" IS NULL AND ARRAY_LENGTH("contacts"."tags") > 0
