-- tests/test_dialects.py::test_case_sql[contains_case-postgres]
-- semantic case 'contains case'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_contains_case: city contains "UN" (case-sensitive) */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."city" IS NULL AND POSITION('UN' IN "contacts"."city") > 0
