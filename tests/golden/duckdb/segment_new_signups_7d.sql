-- tests/test_dialects.py::test_example_segment_sql[new_signups_7d-duckdb]
-- example segment new_signups_7d (data/segments/new_signups_7d.yaml); dialect duckdb, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of new_signups_7d: signup_at is within the last 7 days */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."signup_at" IS NULL
  AND (
    "contacts"."signup_at" >= CAST('2026-06-23 18:00:00' AS TIMESTAMP)
    AND "contacts"."signup_at" <= CAST('2026-06-30 18:00:00' AS TIMESTAMP)
  )
