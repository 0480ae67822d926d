-- tests/test_dialects.py::test_example_segment_sql[pricing_then_demo_7d-snowflake]
-- example segment pricing_then_demo_7d (data/segments/pricing_then_demo_7d.yaml); dialect snowflake, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pricing_then_demo_7d: performed pricing_page_view, then demo_request within 7 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    WITH sequence_step_2 AS (
      SELECT
        "events"."contact_id",
        (
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) % 604800000000
        ) / 604800000000 AS "bucket",
        MIN("events"."ts") AS "first_ts",
        MAX("events"."ts") AS "last_ts"
      FROM events
      WHERE
        "events"."event" = 'demo_request'
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)
      GROUP BY
        "events"."contact_id",
        (
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) % 604800000000
        ) / 604800000000
    )
    /* contacts who: performed pricing_page_view, then demo_request within 7 days */
    SELECT
      "events"."contact_id"
    FROM events
    JOIN (
      SELECT
        "contact_id",
        "bucket",
        "last_ts",
        CAST(NULL AS TIMESTAMPNTZ) AS "first_ts"
      FROM sequence_step_2
      UNION ALL
      SELECT
        "contact_id",
        "bucket" + 1 AS "bucket",
        CAST(NULL AS TIMESTAMPNTZ) AS "last_ts",
        "first_ts"
      FROM sequence_step_2
    ) AS "later"
      ON "later"."contact_id" = "events"."contact_id"
      AND "later"."bucket" = (
        (
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)) % 604800000000
        ) / 604800000000
      )
    WHERE
      (
        "events"."event" = 'pricing_page_view'
        AND "events"."ts" <= CAST('2026-06-30 18:00:00' AS TIMESTAMPNTZ)
      )
      AND (
        "later"."last_ts" > "events"."ts"
        OR "later"."first_ts" <= "events"."ts" + INTERVAL '604800 SECOND'
      )
  )
