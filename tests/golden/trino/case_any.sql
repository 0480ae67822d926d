-- tests/test_dialects.py::test_case_sql[any-trino]
-- semantic case 'any'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_any: city is "Pune" or lead_score is greater than 90 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  (
    NOT "contacts"."city" IS NULL AND "contacts"."city" = 'Pune'
  )
  OR (
    NOT "contacts"."lead_score" IS NULL AND "contacts"."lead_score" > 90
  )
