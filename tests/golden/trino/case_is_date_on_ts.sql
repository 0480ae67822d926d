-- tests/test_dialects.py::test_case_sql[is_date_on_ts-trino]
-- semantic case 'is date on ts'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_date_on_ts: signup_at is 2026-03-24 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."signup_at" IS NULL
  AND (
    "contacts"."signup_at" >= CAST('2026-03-24 00:00:00' AS TIMESTAMP)
    AND "contacts"."signup_at" < CAST('2026-03-25 00:00:00' AS TIMESTAMP)
  )
