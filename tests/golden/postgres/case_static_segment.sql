-- tests/test_dialects.py::test_case_sql[static_segment-postgres]
-- semantic case 'static segment'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_static_segment: in segment uploaded */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    SELECT
      "static_members"."contact_id"
    FROM static_members
    WHERE
      "static_members"."segment" = 'uploaded'
  )
