-- tests/test_dialects.py::test_example_segment_sql[whatsapp_opted_in-spark]
-- example segment whatsapp_opted_in (data/segments/whatsapp_opted_in.yaml); dialect spark, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of whatsapp_opted_in: platform is "WhatsApp" and opted_out is not true */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  (
    NOT `contacts`.`platform` IS NULL AND `contacts`.`platform` = 'WhatsApp'
  )
  AND NOT (
    NOT `contacts`.`opted_out` IS NULL AND `contacts`.`opted_out` = TRUE
  )
