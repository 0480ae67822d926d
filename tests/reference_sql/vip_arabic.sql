-- vip_arabic: in segment vip (lifetime_value > 5000 or tags contain 'VIP') and language is
-- 'ar' (exact, case-sensitive).
SELECT contact_id
FROM contacts
WHERE (
        coalesce(lifetime_value > 5000, false)
        OR coalesce(list_contains(tags, 'VIP'), false)
      )
  AND language = 'ar'
ORDER BY contact_id
