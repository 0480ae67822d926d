-- Membership intervals from a segment's snapshot history (gaps and islands).
-- snapshot_order(path, position, as_of): the segment's snapshots in as_of order.
-- snapshot_rows(contact_id, filename): every member row of those snapshot files.
-- A contact's run of consecutive snapshots is one interval: it entered at the
-- first snapshot of the run and exited at the snapshot after the run (NULL
-- while it is still a member).
WITH positioned AS (
    SELECT r.contact_id, o.position
    FROM snapshot_rows AS r
    JOIN snapshot_order AS o ON o.path = r.filename
),
islands AS (
    SELECT contact_id, position,
           position - ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY position) AS island
    FROM positioned
),
runs AS (
    SELECT contact_id, MIN(position) AS first_position, MAX(position) AS last_position
    FROM islands
    GROUP BY contact_id, island
)
SELECT runs.contact_id,
       entered.as_of AS entered_at,
       exited.as_of AS exited_at
FROM runs
JOIN snapshot_order AS entered ON entered.position = runs.first_position
LEFT JOIN snapshot_order AS exited ON exited.position = runs.last_position + 1
ORDER BY runs.contact_id, entered_at
