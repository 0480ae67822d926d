-- tests/test_dialects.py::test_case_sql[has-bigquery]
-- semantic case 'has'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_has: tags has "VIP" */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`tags` IS NULL
  AND EXISTS(
    SELECT
      1
    FROM UNNEST(`contacts`.`tags`) AS tag
    WHERE
      tag IN ('VIP')
  )
