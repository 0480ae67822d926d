-- tests/test_dialects.py::test_example_segment_sql[vip_arabic-duckdb]
-- example segment vip_arabic (data/segments/vip_arabic.yaml); dialect duckdb, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of vip_arabic: (lifetime_value is greater than 5000 or tags has "VIP") and language is "ar" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  (
    (
      NOT "contacts"."lifetime_value" IS NULL AND "contacts"."lifetime_value" > 5000
    )
    OR (
      NOT "contacts"."tags" IS NULL AND ARRAY_CONTAINS("contacts"."tags", 'VIP')
    )
  )
  AND (
    NOT "contacts"."language" IS NULL AND "contacts"."language" = 'ar'
  )
