-- tests/test_dialects.py::test_pattern_case_sql[sequence_within_1h-snowflake]
-- pattern case 'sequence within 1h'; dialect snowflake, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pattern_sequence_within_1h: performed view, then cart within 1 hour */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    WITH sequence_step_2 AS (
      SELECT
        "events"."contact_id",
        (
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) % 3600000000
        ) / 3600000000 AS "bucket",
        MIN("events"."ts") AS "first_ts",
        MAX("events"."ts") AS "last_ts"
      FROM events
      WHERE
        "events"."event" = 'cart'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      GROUP BY
        "events"."contact_id",
        (
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) % 3600000000
        ) / 3600000000
    )
    /* contacts who: performed view, then cart within 1 hour */
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
          DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) - DATEDIFF(MICROSECOND, "events"."ts", CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)) % 3600000000
        ) / 3600000000
      )
    WHERE
      (
        "events"."event" = 'view'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMPNTZ)
      )
      AND (
        "later"."last_ts" > "events"."ts"
        OR "later"."first_ts" <= "events"."ts" + INTERVAL '3600 SECOND'
      )
  )
