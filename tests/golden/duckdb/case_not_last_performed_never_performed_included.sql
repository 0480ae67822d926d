-- tests/test_dialects.py::test_case_sql[not_last_performed_never_performed_included-duckdb]
-- semantic case 'not last_performed: never performed included'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_last_performed_never_performed_included: did not perform login in the last 14 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT (
    "contacts"."contact_id" IN (
      /* contacts who: performed login in the last 14 days */
      SELECT
        "events"."contact_id"
      FROM events
      WHERE
        "events"."event" = 'login'
        AND "events"."ts" >= CAST('2026-03-17 12:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    )
  )
