-- vip: lifetime_value > 5000 or the tag list contains 'VIP' (exact, case-sensitive);
-- a missing value on one side leaves the other side to decide.
SELECT contact_id
FROM contacts
WHERE coalesce(lifetime_value > 5000, false)
   OR coalesce(list_contains(tags, 'VIP'), false)
ORDER BY contact_id
