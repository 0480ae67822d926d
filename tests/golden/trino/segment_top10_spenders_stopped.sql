-- tests/test_dialects.py::test_example_segment_sql[top10_spenders_stopped-trino]
-- example segment top10_spenders_stopped (data/segments/top10_spenders_stopped.yaml); dialect trino, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    "events"."contact_id",
    SUM(CAST("events"."amount" AS DECIMAL(38, 6))) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f0", /* sum of amount: purchase */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-11-02 18:00:00' AS TIMESTAMP)
      AND "events"."ts" < CAST('2026-05-01 18:00:00' AS TIMESTAMP)) AS "f1", /* count: purchase in the 180 days before the last 60 days */
    COUNT(*) FILTER(WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2026-05-01 18:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)) AS "f2" /* count: purchase in the last 60 days */
  FROM events
  WHERE
    "events"."event" = 'purchase'
    AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
    AND (
      (
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      )
      OR (
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2025-11-02 18:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-05-01 18:00:00' AS TIMESTAMP)
      )
      OR (
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-05-01 18:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
      )
    )
  GROUP BY
    "events"."contact_id"
), contact_ranks AS (
  /* per contact, its place among every contact's value (percentiles) */
  SELECT
    "contacts"."contact_id",
    CASE
      WHEN NOT COALESCE("event_facts"."f0", 0) IS NULL
      AND NOT IS_NAN(COALESCE("event_facts"."f0", 0))
      THEN RANK() OVER (
        PARTITION BY (
          NOT COALESCE("event_facts"."f0", 0) IS NULL
          AND NOT IS_NAN(COALESCE("event_facts"."f0", 0))
        )
        ORDER BY COALESCE("event_facts"."f0", 0) DESC
      ) - 1
    END AS "r0",
    COUNT(
      CASE
        WHEN NOT COALESCE("event_facts"."f0", 0) IS NULL
        AND NOT IS_NAN(COALESCE("event_facts"."f0", 0))
        THEN 1
      END
    ) OVER () AS "n0"
  FROM contacts
  LEFT JOIN event_facts
    ON "event_facts"."contact_id" = "contacts"."contact_id"
)
/* members of top10_spenders_stopped: lifetime_spend is in the top 10% of all contacts and performed purchase in the 180 days before the last 60 days and did not perform purchase in the last 60 days */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN event_facts
  ON "event_facts"."contact_id" = "contacts"."contact_id"
LEFT JOIN contact_ranks
  ON "contact_ranks"."contact_id" = "contacts"."contact_id"
WHERE
  (
    NOT "contact_ranks"."r0" IS NULL
    AND 100 * "contact_ranks"."r0" < 10 * "contact_ranks"."n0"
  )
  AND COALESCE("event_facts"."f1", 0) >= 1
  AND COALESCE("event_facts"."f2", 0) = 0
