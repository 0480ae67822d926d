-- tests/test_dialects.py::test_trait_case_sql[trait_beside_an_event_condition-postgres]
-- trait case 'trait beside an event condition'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'login'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f1" /* count: login */
  FROM events
  WHERE
    "events"."event" IN ('login', 'purchase')
    AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  GROUP BY
    "events"."contact_id"
)
/* members of trait_trait_beside_an_event_condition: orders is at least 1 and did not perform login */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  (
    NOT COALESCE("event_facts"."f0", 0) IS NULL
    AND COALESCE("event_facts"."f0", 0) >= 1
  )
  AND COALESCE("event_facts"."f1", 0) = 0
