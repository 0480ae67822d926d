-- tests/test_dialects.py::test_case_sql[not_performed_within-duckdb]
-- semantic case 'not_performed within'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_not_performed_within: did not perform purchase in the last 90 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."contact_id" IN (
    /* contacts who: performed purchase in the last 90 days */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  )
