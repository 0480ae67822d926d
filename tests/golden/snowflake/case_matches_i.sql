-- tests/test_dialects.py::test_case_sql[matches_i-snowflake]
-- semantic case 'matches (?i)'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_matches_i: email matches the pattern "(?i)^b@y" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."email" IS NULL
  AND REGEXP_INSTR("contacts"."email", '^b@y', 1, 1, 0, 'i') > 0
