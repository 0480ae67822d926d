-- tests/test_dialects.py::test_case_sql[starts_with-trino]
-- semantic case 'starts_with'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_starts_with: email starts with "B@" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."email" IS NULL
  AND STARTS_WITH(LOWER("contacts"."email"), LOWER('B@'))
