-- tests/test_dialects.py::test_case_sql[lapsed_with_a_city-spark]
-- semantic case 'lapsed with a city'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_lapsed_with_a_city: city is set and last performed purchase before 2026-03-02 */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  (
    NOT `contacts`.`city` IS NULL AND `contacts`.`city` <> ''
  )
  AND `contacts`.`contact_id` IN (
    /* contacts who: performed purchase before 2026-03-02 */
    SELECT
      `events`.`contact_id`
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` < CAST('2026-03-02 00:00:00' AS TIMESTAMP_NTZ)
  )
  AND NOT `contacts`.`contact_id` IN (
    /* contacts who: performed purchase between 2026-03-02 and now */
    SELECT
      `events`.`contact_id`
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` >= CAST('2026-03-02 00:00:00' AS TIMESTAMP_NTZ)
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
  )
