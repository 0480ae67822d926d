-- tests/test_dialects.py::test_example_segment_sql[inactive_loyal-postgres]
-- example segment inactive_loyal (data/segments/inactive_loyal.yaml); dialect postgres, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of inactive_loyal: total_spent is greater than 10000 and did not perform purchase in the last 90 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  (
    NOT "contacts"."total_spent" IS NULL AND "contacts"."total_spent" > 10000
  )
  AND NOT "contacts"."contact_id" IN (
    /* contacts who: performed purchase in the last 90 days */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2026-04-01 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
  )
