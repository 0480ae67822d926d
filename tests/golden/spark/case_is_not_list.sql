-- tests/test_dialects.py::test_case_sql[is_not_list-spark]
-- semantic case 'is_not list'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_is_not_list: city is neither "Pune" nor "pune" (including no city) */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  `contacts`.`city` IS NULL OR NOT (
    `contacts`.`city` IN ('Pune', 'pune')
  )
