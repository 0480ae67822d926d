-- tests/test_dialects.py::test_case_sql[where_is_not_set_prop-snowflake]
-- semantic case 'where is_not_set prop'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
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
          AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
          AND (
            NOT (
              NOT "events"."category" IS NULL AND "events"."category" <> ''
            )
          )
          THEN 1
        END
      ) AS "f0" /* count: purchase (where category is not set) */
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      AND (
        "events"."event" = 'purchase'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
        AND (
          NOT (
            NOT "events"."category" IS NULL AND "events"."category" <> ''
          )
        )
      )
    GROUP BY
      "events"."contact_id"
  ) AS event_facts
  WHERE
    COALESCE("event_facts"."f0", 0) >= 1
)
/* members of case_where_is_not_set_prop: performed purchase (where category is not set) */
SELECT
  "event_facts"."contact_id"
FROM event_facts
WHERE
  COALESCE("event_facts"."f0", 0) >= 1
