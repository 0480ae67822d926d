-- tests/test_dialects.py::test_pattern_case_sql[last_within_after-snowflake]
-- pattern case 'last within after'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          WHEN "events"."event" = 'payment'
          AND "events"."ts" >= CAST('2026-02-01 00:00:00' AS TIMESTAMPNTZ)
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          THEN 1
        END
      ) AS "f0" /* count: payment after 2026-01-31 */
    FROM events
    WHERE
      "events"."event" = 'payment'
      AND "events"."ts" >= CAST('2026-02-01 00:00:00' AS TIMESTAMPNTZ)
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of pattern_last_within_after: performed payment after 2026-01-31 */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
