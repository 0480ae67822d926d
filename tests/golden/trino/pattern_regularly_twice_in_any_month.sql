-- tests/test_dialects.py::test_pattern_case_sql[regularly_twice_in_any_month-trino]
-- pattern case 'regularly twice in any month'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      "events"."contact_id",
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase in the last 1 month */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)) AS "f1", /* count: purchase from 2 months ago to 1 month ago (not included) */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-01-31 12:00:00' AS TIMESTAMP)) AS "f2" /* count: purchase from 3 months ago to 2 months ago (not included) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      AND (
        (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMP)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-01-31 12:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    (
      CASE WHEN COALESCE("event_facts"."f0", 0) >= 2 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f1", 0) >= 2 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f2", 0) >= 2 THEN 1 ELSE 0 END
    ) >= 1
)
/* members of pattern_regularly_twice_in_any_month: performed purchase at least twice in at least 1 of the last 3 months */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  (
    CASE WHEN COALESCE("event_facts"."f0", 0) >= 2 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f1", 0) >= 2 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f2", 0) >= 2 THEN 1 ELSE 0 END
  ) >= 1
