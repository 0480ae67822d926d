-- tests/test_dialects.py::test_case_sql[is_false_skips_missing-postgres]
-- semantic case 'is_false skips missing'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_false_skips_missing: opted_out is false */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."opted_out" IS NULL AND "contacts"."opted_out" = FALSE
