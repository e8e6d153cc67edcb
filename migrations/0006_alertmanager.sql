-- SPDX-License-Identifier: MIT
-- 0006_alertmanager: alerts handed to Prometheus Alertmanager, and acknowledgements.
-- An alert transition writes its Alertmanager row in the same transaction as its alert rows
-- and its MQTT outbox rows (alert_record.c), so a transition is either stored and on its way
-- to both, or neither. The poster (daemon/alertmanager/) deletes a row only once an
-- Alertmanager answered 2xx; a restart or an Alertmanager outage resends what is left.

-- am_outbox: transitions not yet accepted by an Alertmanager. Alertmanager keeps only an
-- alert's latest state, so a newer transition of the same alert replaces the older row (the
-- trigger below): the rows stay as many as the alerts that changed since the last post, never
-- one per transition. json is the transition's message as published on MQTT; the
-- Alertmanager payload is built from it when posted, so that its endsAt is ahead of the post.
CREATE TABLE am_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   INTEGER NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    json       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX am_outbox_alert ON am_outbox (alert_id);

CREATE TRIGGER am_outbox_supersede AFTER INSERT ON am_outbox
BEGIN
    DELETE FROM am_outbox WHERE alert_id = new.alert_id AND id < new.id;
END;

-- am_status: what `tinyfleet stats` reports of the poster: the last post an Alertmanager
-- accepted and the last failure (its text never holds a password or token: see
-- alertmanager.c). One row.
CREATE TABLE am_status (
    one           INTEGER PRIMARY KEY CHECK (one = 1),
    last_ok_ms    INTEGER NOT NULL DEFAULT 0,
    last_error_ms INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO am_status (one) VALUES (1);

-- alert_acks: who acknowledged an alert, when, with what note, and the Alertmanager silence
-- made for it ('' when none could be made). One per alert; a second ack replaces the first.
-- The daemon adds it to the alert's next transition as "ack". Goes with its alert: the
-- daemon runs with foreign keys off (store.c), so a trigger, not only the cascade, says so.
CREATE TABLE alert_acks (
    alert_id   INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    by_name    TEXT    NOT NULL,
    note       TEXT    NOT NULL,
    time_ms    INTEGER NOT NULL,
    silence_id TEXT    NOT NULL
) STRICT;
CREATE TRIGGER alert_acks_gone AFTER DELETE ON alerts
BEGIN
    DELETE FROM alert_acks WHERE alert_id = old.id;
END;
