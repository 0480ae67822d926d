-- tests/test_dialects.py::test_case_sql[sum_zero_without_events-duckdb]
-- semantic case 'sum zero without events'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_sum_zero_without_events: performed purchase at least 0 times (including never), with total amount less than 1 */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."contact_id" IN (
    /* contacts who: not (performed purchase at least 0 times (including never), with total amount less than 1) */
    SELECT
      "events"."contact_id"
    FROM events
    WHERE
      "events"."event" = 'purchase'
      AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
    GROUP BY
      "events"."contact_id"
    HAVING
      NOT (
        COALESCE(
          (
            COALESCE(
              CAST(CAST(SUM(TRY_CAST("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE) AS INT128)) FILTER(WHERE
                ABS("events"."amount") < CAST(4294967296.0 AS DOUBLE)
                AND FLOOR("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) = "events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) AS TEXT) AS DOUBLE) * CAST(5.421010862427522e-20 AS DOUBLE),
              0
            ) + COALESCE(
              FSUM("events"."amount" ORDER BY ABS("events"."amount") DESC, "events"."amount" DESC) FILTER(WHERE
                NOT (
                  ABS("events"."amount") < CAST(4294967296.0 AS DOUBLE)
                  AND FLOOR("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) = "events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)
                )),
              0
            )
          ),
          0
        ) < 1
      )
  )
