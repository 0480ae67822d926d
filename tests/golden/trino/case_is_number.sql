-- tests/test_dialects.py::test_case_sql[is_number-trino]
-- semantic case 'is number'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_number: lead_score is one of 0 or 100 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."lead_score" IS NULL AND "contacts"."lead_score" IN (0, 100)
