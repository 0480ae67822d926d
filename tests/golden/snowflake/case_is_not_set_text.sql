-- tests/test_dialects.py::test_case_sql[is_not_set_text-snowflake]
-- semantic case 'is_not_set text'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_not_set_text: city is not set */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT (
    NOT "contacts"."city" IS NULL AND "contacts"."city" <> ''
  )
