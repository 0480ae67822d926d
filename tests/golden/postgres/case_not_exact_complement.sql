-- tests/test_dialects.py::test_case_sql[not_exact_complement-postgres]
-- semantic case 'not exact complement'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_exact_complement: not (total_spent is greater than 100) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT (
    NOT "contacts"."total_spent" IS NULL AND "contacts"."total_spent" > 100
  )
