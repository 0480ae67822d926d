-- tests/test_dialects.py::test_case_sql[is_empty-postgres]
-- semantic case "is ''"; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_empty: city is "" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."city" IS NULL AND "contacts"."city" = ''
