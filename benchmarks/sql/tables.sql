-- Lookup tables for the events generator: the event mix and the seasonal windows.

-- Event names with their share of all events (weights, normalised below).
CREATE OR REPLACE TABLE event_weights (ord INTEGER, event VARCHAR, weight DOUBLE);
INSERT INTO event_weights VALUES
    (1, 'page_view', 38.0),
    (2, 'session_start', 14.0),
    (3, 'product_view', 12.0),
    (4, 'email_sent', 9.0),
    (5, 'whatsapp_sent', 5.0),
    (6, 'add_to_cart', 5.0),
    (7, 'whatsapp_read', 3.5),
    (8, 'email_open', 3.2),
    (9, 'search', 3.0),
    (10, 'purchase', 2.2),
    (11, 'checkout_started', 1.6),
    (12, 'email_click', 0.9),
    (13, 'pricing_page_view', 0.7),
    (14, 'message_reply', 0.6),
    (15, 'wishlist_add', 0.5),
    (16, 'form_submit', 0.3),
    (17, 'app_install', 0.25),
    (18, 'review_submitted', 0.12),
    (19, 'refund', 0.08),
    (20, 'demo_request', 0.04);

CREATE OR REPLACE TABLE event_mix AS
SELECT
    event,
    coalesce(sum(weight) OVER (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
        / sum(weight) OVER () AS lo
FROM event_weights;

-- Festival and sale windows as day offsets from as_of - 730 days (as_of is
-- 2026-06-30 18:00 UTC, so day 0 is 2024-06-30), chosen in proportion to length.
CREATE OR REPLACE TABLE season_windows (name VARCHAR, start_day INTEGER, days INTEGER);
INSERT INTO season_windows VALUES
    -- Diwali 2024: 2024-10-24 .. 2024-11-04
    ('Diwali 2024', 116, 12),
    -- Black Friday 2024: 2024-11-25 .. 2024-12-02
    ('Black Friday 2024', 148, 8),
    -- Christmas 2024: 2024-12-20 .. 2024-12-29
    ('Christmas 2024', 173, 10),
    -- Ramadan 2025: 2025-03-01 .. 2025-03-30
    ('Ramadan 2025', 244, 30),
    -- Ganesh Chaturthi 2025: 2025-08-27 .. 2025-09-06
    ('Ganesh Chaturthi 2025', 423, 11),
    -- Diwali 2025: 2025-10-14 .. 2025-10-25
    ('Diwali 2025', 471, 12),
    -- Black Friday 2025: 2025-11-24 .. 2025-12-01
    ('Black Friday 2025', 512, 8),
    -- Ramadan 2026: 2026-02-18 .. 2026-03-19
    ('Ramadan 2026', 598, 30);

CREATE OR REPLACE TABLE season_windows_mix AS
SELECT
    start_day,
    days,
    coalesce(sum(days) OVER (ORDER BY start_day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
        / sum(days) OVER () AS lo
FROM season_windows;
