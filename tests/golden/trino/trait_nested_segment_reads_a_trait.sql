-- tests/test_dialects.py::test_trait_case_sql[nested_segment_reads_a_trait-trino]
-- trait case 'nested segment reads a trait'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      SUM(CAST("events"."amount" AS DECIMAL(38, 6))) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0" /* sum of amount: purchase */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT COALESCE("event_facts"."f0", 0) IS NULL
    AND COALESCE("event_facts"."f0", 0) >= 300
)
/* members of trait_nested_segment_reads_a_trait: spend is at least 300 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT COALESCE("event_facts"."f0", 0) IS NULL
  AND COALESCE("event_facts"."f0", 0) >= 300
