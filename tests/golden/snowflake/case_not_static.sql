-- tests/test_dialects.py::test_case_sql[not_static-snowflake]
-- semantic case 'not static'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_static: not in segment uploaded */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT (
    "contacts"."contact_id" IN (
      SELECT
        "static_members"."contact_id"
      FROM static_members
      WHERE
        "static_members"."segment" = 'uploaded'
    )
  )
