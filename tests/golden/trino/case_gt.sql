-- tests/test_dialects.py::test_case_sql[gt-trino]
-- semantic case 'gt'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_gt: total_spent is greater than 10000 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."total_spent" IS NULL AND "contacts"."total_spent" > 10000
