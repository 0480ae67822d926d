-- tests/test_dialects.py::test_pattern_case_sql[regularly_2_of_3_months_new_york-postgres]
-- pattern case 'regularly 2 of 3 months new york'; dialect postgres, as_of 2026-03-31T12:00:00+00:00, zone America/New_York
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
        AND "events"."ts" >= CAST('2026-02-28 13:00:00' AS TIMESTAMP)
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)) AS "f0", /* count: purchase in the last 1 month */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2026-01-31 13:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-02-28 13:00:00' AS TIMESTAMP)) AS "f1", /* count: purchase from 2 months ago to 1 month ago (not included) */
      COUNT(*) FILTER(WHERE
        "events"."event" = 'purchase'
        AND "events"."ts" >= CAST('2025-12-31 13:00:00' AS TIMESTAMP)
        AND "events"."ts" < CAST('2026-01-31 13:00:00' AS TIMESTAMP)) AS "f2" /* count: purchase from 3 months ago to 2 months ago (not included) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 13:00:00' AS TIMESTAMP)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
      AND (
        (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-02-28 13:00:00' AS TIMESTAMP)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-01-31 13:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-02-28 13:00:00' AS TIMESTAMP)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2025-12-31 13:00:00' AS TIMESTAMP)
          AND "events"."ts" < CAST('2026-01-31 13:00:00' AS TIMESTAMP)
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    (
      CASE WHEN COALESCE("event_facts"."f0", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f1", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f2", 0) >= 1 THEN 1 ELSE 0 END
    ) >= 2
)
/* members of pattern_regularly_2_of_3_months_new_york: performed purchase in at least 2 of the last 3 months */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  (
    CASE WHEN COALESCE("event_facts"."f0", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f1", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f2", 0) >= 1 THEN 1 ELSE 0 END
  ) >= 2
