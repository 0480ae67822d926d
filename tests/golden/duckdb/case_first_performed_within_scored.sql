-- tests/test_dialects.py::test_case_sql[first_performed_within_scored-duckdb]
-- semantic case 'first performed within, scored'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_first_performed_within_scored: lead_score is at least 10 and first performed purchase within the last 90 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  (
    NOT "contacts"."lead_score" IS NULL AND "contacts"."lead_score" >= 10
  )
  AND "contacts"."contact_id" IN (
    /* contacts who: performed purchase in the last 90 days */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  )
  AND NOT "contacts"."contact_id" IN (
    /* contacts who: performed purchase before 90 days ago */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" < CAST('2025-12-31 12:00:00' AS TIMESTAMP)
  )
