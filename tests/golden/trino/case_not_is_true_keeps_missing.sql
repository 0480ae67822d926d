-- tests/test_dialects.py::test_case_sql[not_is_true_keeps_missing-trino]
-- semantic case 'not is_true keeps missing'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_is_true_keeps_missing: opted_out is not true */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT (
    NOT "contacts"."opted_out" IS NULL AND "contacts"."opted_out" = TRUE
  )
