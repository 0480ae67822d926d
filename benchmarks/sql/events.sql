-- Synthetic events over the two years before as_of.
--
-- Variables: seed, n_events, n_active, n_contacts, perm_prime, as_of.
-- Skew: the activity rank of an event's contact is floor(n_active * u^2), so a
-- few heavy users produce a large share of the events and a quarter of the
-- contacts produce none. Seasonality: volume grows towards as_of (day offset
-- 730 * u^0.75), 12% of events fall in festival and sale windows, and the time
-- of day peaks in the evening. Rare events (demo_request, refund) come from the
-- same weighted mix as the common ones.
WITH draws AS (
    SELECT
        i,
        floor(getvariable('n_active') * pow(bench_u(i, 101), 2))::BIGINT AS activity_rank,
        bench_u(i, 102) AS u_event,
        bench_u(i, 103) AS u_day,
        bench_u(i, 104) AS u_season,
        bench_u(i, 105) AS u_window
    FROM range(getvariable('n_events')) AS r(i)
),
named AS (
    SELECT d.*, m.event
    FROM draws AS d
    ASOF JOIN event_mix AS m ON d.u_event >= m.lo
),
timed AS (
    SELECT
        n.*,
        CASE
            WHEN n.u_season < 0.12
                THEN w.start_day + floor(n.u_day * w.days)::BIGINT
            ELSE floor(730 * pow(n.u_day, 0.75))::BIGINT
        END AS day,
        n.u_season < 0.12 AS in_season
    FROM named AS n
    ASOF JOIN season_windows_mix AS w ON n.u_window >= w.lo
)
SELECT
    'C' || lpad(((activity_rank * getvariable('perm_prime')) % getvariable('n_contacts'))::VARCHAR,
                9, '0') AS contact_id,
    event,
    getvariable('as_of') - INTERVAL 730 DAY + to_days(day::INTEGER)
        + to_microseconds(
            ((((19 + (bench_u(i, 106) + bench_u(i, 107) - 1.0) * 12) * 3600)::BIGINT % 86400
                + 86400) % 86400) * 1000000
            + floor(bench_u(i, 108) * 1000000)::BIGINT
        ) AS ts,
    'ev' || i::VARCHAR AS event_id,
    CASE
        WHEN event IN ('purchase', 'checkout_started', 'add_to_cart', 'refund')
            THEN round(exp(6.2 + 0.9 * bench_normal(i, 110)), 2)
    END AS amount,
    CASE
        WHEN event IN ('product_view', 'add_to_cart', 'checkout_started', 'purchase', 'wishlist_add')
            THEN CASE
                WHEN in_season AND bench_u(i, 111) < 0.4 THEN 'festive'
                ELSE bench_pick(['electronics', 'fashion', 'grocery', 'home', 'beauty', 'festive',
                                 'fashion', 'grocery'], bench_u(i, 112))
            END
    END AS category,
    CASE
        WHEN event LIKE 'email%' THEN 'email'
        WHEN event LIKE 'whatsapp%' THEN 'whatsapp'
        WHEN event = 'message_reply'
            THEN bench_pick(['whatsapp', 'whatsapp', 'email', 'sms'], bench_u(i, 113))
        WHEN event IN ('page_view', 'session_start', 'product_view', 'search')
            THEN CASE WHEN bench_u(i, 113) < 0.6 THEN 'app' ELSE 'web' END
    END AS channel,
    CASE
        WHEN event LIKE 'email%' OR event LIKE 'whatsapp%'
            THEN 'cmp-' || lpad((day // 7)::VARCHAR, 3, '0')
    END AS campaign_id,
    CASE
        WHEN event = 'page_view' THEN '/p/' || floor(bench_u(i, 114) * 2000)::BIGINT::VARCHAR
        WHEN event = 'pricing_page_view' THEN '/pricing'
    END AS page
FROM timed
ORDER BY ts
