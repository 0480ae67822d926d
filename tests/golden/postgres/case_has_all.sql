-- tests/test_dialects.py::test_case_sql[has_all-postgres]
-- semantic case 'has_all'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_has_all: tags has both "beta" and "wholesale" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."tags" IS NULL AND "contacts"."tags" @> ARRAY['beta', 'wholesale']
