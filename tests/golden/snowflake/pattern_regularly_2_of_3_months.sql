-- tests/test_dialects.py::test_pattern_case_sql[regularly_2_of_3_months-snowflake]
-- pattern case 'regularly 2 of 3 months'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          THEN 1
        END
      ) AS "f0", /* count: purchase in the last 1 month */
      COUNT(
        CASE
          WHEN "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMPNTZ)
          THEN 1
        END
      ) AS "f1", /* count: purchase from 2 months ago to 1 month ago (not included) */
      COUNT(
        CASE
          WHEN "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" < CAST('2026-01-31 12:00:00' AS TIMESTAMPNTZ)
          THEN 1
        END
      ) AS "f2" /* count: purchase from 3 months ago to 2 months ago (not included) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      AND (
        (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-02-28 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2026-01-31 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" < CAST('2026-02-28 12:00:00' AS TIMESTAMPNTZ)
        )
        OR (
          "events"."event" = 'purchase'
          AND "events"."ts" >= CAST('2025-12-31 12:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" < CAST('2026-01-31 12:00:00' AS TIMESTAMPNTZ)
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
/* members of pattern_regularly_2_of_3_months: performed purchase in at least 2 of the last 3 months */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  (
    CASE WHEN COALESCE("event_facts"."f0", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f1", 0) >= 1 THEN 1 ELSE 0 END + CASE WHEN COALESCE("event_facts"."f2", 0) >= 1 THEN 1 ELSE 0 END
  ) >= 2
