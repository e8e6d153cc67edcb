-- SPDX-License-Identifier: MIT
-- 0003_first_reception: the first copy of a frame is stored in the frame's own row.
-- Every accepted frame has a first reception, and most have no other (every CoAP frame, a LoRa
-- frame heard by one forwarder), so a row of its own in receptions cost each frame one more
-- INSERT and two more b-tree pages (the table's and receptions_frame's) in every commit:
-- 7.7 k of the 81 k instructions per CoAP event (callgrind, make bench-coap). Later copies
-- from other forwarders keep a row each, now in later_receptions. The view receptions shows
-- both, with the columns the table had but its id, so reading receptions works as before.
--
-- frames_received goes too: only pruning read frames by age, and it now takes the oldest
-- frames by id (ids rise with reception), one b-tree page fewer per commit.

ALTER TABLE receptions RENAME TO later_receptions;
DROP INDEX receptions_frame;
CREATE INDEX later_receptions_frame ON later_receptions (frame_id);

-- The first reception: bearer is store_bearer_name(), gateway the forwarder EUI or the CoAP
-- peer, its time the frame's received_ms; the radio fields are NULL for CoAP. NULL bearer only
-- for a frame stored without one (none are; the view leaves such a frame out).
ALTER TABLE frames ADD COLUMN bearer TEXT;
ALTER TABLE frames ADD COLUMN gateway TEXT;
ALTER TABLE frames ADD COLUMN rssi INTEGER;
ALTER TABLE frames ADD COLUMN snr REAL;
ALTER TABLE frames ADD COLUMN freq_hz INTEGER;
ALTER TABLE frames ADD COLUMN datr TEXT;

UPDATE frames SET (bearer, gateway, rssi, snr, freq_hz, datr) =
    (SELECT r.bearer, r.gateway, r.rssi, r.snr, r.freq_hz, r.datr FROM later_receptions r
     WHERE r.frame_id = frames.id ORDER BY r.id LIMIT 1);
DELETE FROM later_receptions WHERE id IN (SELECT min(id) FROM later_receptions GROUP BY frame_id);

DROP INDEX frames_received;

CREATE VIEW receptions (frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz, datr) AS
    SELECT id, bearer, gateway, received_ms, rssi, snr, freq_hz, datr FROM frames
    WHERE bearer IS NOT NULL
    UNION ALL
    SELECT frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz, datr FROM later_receptions;
