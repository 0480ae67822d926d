-- tests/test_dialects.py::test_trait_case_sql[count_is_0_without_events-trino]
-- trait case 'count is 0 without events'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* count: purchase */
  FROM events
  WHERE
    "events"."event" = 'purchase'
    AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  GROUP BY
    "events"."contact_id"
)
/* members of trait_count_is_0_without_events: orders is 0 */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN event_facts
  ON "event_facts"."contact_id" = "contacts"."contact_id"
WHERE
  NOT COALESCE("event_facts"."f0", 0) IS NULL
  AND COALESCE("event_facts"."f0", 0) = 0
