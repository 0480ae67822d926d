-- tests/test_dialects.py::test_case_sql[is_not_includes_missing-postgres]
-- semantic case 'is_not includes missing'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_not_includes_missing: city is not "Pune" (including no city) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."city" IS NULL OR NOT (
    "contacts"."city" = 'Pune'
  )
