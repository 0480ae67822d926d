-- Gold tier in Oman.

-- variant: plain
SELECT contact_id
FROM contacts
WHERE tier = 'Gold' AND country = 'OM'
