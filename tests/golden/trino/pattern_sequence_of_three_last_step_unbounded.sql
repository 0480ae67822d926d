-- tests/test_dialects.py::test_pattern_case_sql[sequence_of_three_last_step_unbounded-trino]
-- pattern case 'sequence of three, last step unbounded'; dialect trino, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of pattern_sequence_of_three_last_step_unbounded: performed view, then cart within 1 hour, then buy */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  "contacts"."contact_id" IN (
    WITH sequence_step_1 AS (
      SELECT
        "events"."contact_id",
        "events"."ts"
      FROM events
      WHERE
        "events"."event" = 'view'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    ), sequence_step_2 AS (
      SELECT
        "this"."contact_id",
        MIN("this"."ts") AS "ts"
      FROM (
        SELECT
          "contact_id",
          "ts",
          "step_kind",
          MAX(CASE WHEN "step_kind" = 1 THEN "ts" END) OVER (
            PARTITION BY "contact_id"
            ORDER BY "ts" NULLS FIRST, "step_kind" NULLS FIRST
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
          ) AS "latest_before"
        FROM (
          SELECT
            "sequence_step_1"."contact_id",
            "sequence_step_1"."ts",
            1 AS "step_kind"
          FROM sequence_step_1
          UNION ALL
          SELECT
            "candidates"."contact_id",
            "candidates"."ts",
            0 AS "step_kind"
          FROM (
            SELECT
              "events"."contact_id",
              "events"."ts"
            FROM events
            WHERE
              "events"."event" = 'cart'
              AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
          ) AS "candidates"
        ) AS "chained"
      ) AS "this"
      WHERE
        "this"."step_kind" = 0
        AND "this"."ts" <= "this"."latest_before" + INTERVAL '3600' SECOND
      GROUP BY
        "this"."contact_id"
    )
    /* contacts who: performed view, then cart within 1 hour, then buy */
    SELECT
      "this"."contact_id"
    FROM (
      SELECT
        "events"."contact_id",
        "events"."ts"
      FROM events
      WHERE
        "events"."event" = 'buy'
        AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    ) AS "this"
    JOIN sequence_step_2 AS "before"
      ON "before"."contact_id" = "this"."contact_id" AND "before"."ts" < "this"."ts"
  )
