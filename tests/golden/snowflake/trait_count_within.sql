-- tests/test_dialects.py::test_trait_case_sql[count_within-snowflake]
-- trait case 'count within'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(
        CASE
          WHEN "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          THEN 1
        END
      ) AS "f0" /* count: purchase in the last 90 days */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    NOT COALESCE("event_facts"."f0", 0) IS NULL
    AND COALESCE("event_facts"."f0", 0) >= 3
)
/* members of trait_count_within: orders_90d is at least 3 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  NOT COALESCE("event_facts"."f0", 0) IS NULL
  AND COALESCE("event_facts"."f0", 0) >= 3
