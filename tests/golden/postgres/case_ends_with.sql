-- tests/test_dialects.py::test_case_sql[ends_with-postgres]
-- semantic case 'ends_with'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_ends_with: email ends with "X.COM" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."email" IS NULL
  AND RIGHT(LOWER("contacts"."email"), LENGTH(LOWER('X.COM'))) = LOWER('X.COM')
