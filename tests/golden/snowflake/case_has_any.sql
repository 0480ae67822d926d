-- tests/test_dialects.py::test_case_sql[has_any-snowflake]
-- semantic case 'has any'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_has_any: tags has "vip" or "wholesale" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."tags" IS NULL
  AND ARRAY_SIZE(ARRAY_INTERSECTION("contacts"."tags", ['vip', 'wholesale'])) > 0
