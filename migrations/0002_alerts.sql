-- SPDX-License-Identifier: MIT
-- 0002_alerts: alert fusion and the MQTT outbox (issue 4).
-- An alert transition changes three tables in the one transaction that also holds the frame
-- that caused it: the alert's row, a new row in alert_transitions, and its messages in the
-- outbox. So a transition is either stored and on its way to the broker, or neither.

-- alerts: the latest state of each alert fusion has opened. id is fusion's own (it continues
-- after a restart from max(id) + 1). json is the last transition's message exactly as it was
-- published: a restart reads the active alerts back from it, so what fusion continues from is
-- what subscribers last saw. topic_key is the topic segment after the class: the zone of a
-- cluster alert, the DevAddr (8 hex digits) of a per-node alert.
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    class      TEXT    NOT NULL,
    topic_key  TEXT    NOT NULL,
    level      TEXT    NOT NULL CHECK (level = 'watch' OR level = 'warning'
                                       OR level = 'critical'),
    state      TEXT    NOT NULL CHECK (state = 'open' OR state = 'escalate' OR state = 'update'
                                       OR state = 'cleared'),
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    opened_ms  INTEGER NOT NULL,
    changed_ms INTEGER NOT NULL,
    json       TEXT    NOT NULL
) STRICT;
CREATE INDEX alerts_active ON alerts (id) WHERE state <> 'cleared';
CREATE INDEX alerts_changed ON alerts (changed_ms);

-- alert_transitions: every transition of every alert, its published JSON included; what
-- `tinyfleet alerts` shows and what an operator reads after the fact. Pruned with the events
-- (retention_days), the alert row of a cleared alert with its last transition.
CREATE TABLE alert_transitions (
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL CHECK (seq >= 1),
    time_ms  INTEGER NOT NULL,
    json     TEXT    NOT NULL,
    PRIMARY KEY (alert_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX alert_transitions_time ON alert_transitions (time_ms);

-- outbox: MQTT messages not yet acknowledged by the broker (QoS 1 PUBACK). The publisher sends
-- them in id order and deletes a row only when its PUBACK arrives, so a broker outage or a
-- restart resends whatever is left, in order. AUTOINCREMENT: ids never go back, even when the
-- outbox has been emptied, so "in id order" is the order the rows were written. An empty
-- payload on a retained topic clears it.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    retain     INTEGER NOT NULL CHECK (retain IN (0, 1)),
    created_ms INTEGER NOT NULL
) STRICT;
-- When the outbox is full (the [mqtt] outbox_max rows), a retained message that a newer row
-- for the same topic supersedes is dropped first: a subscriber of that state topic loses
-- nothing. This index finds them.
CREATE INDEX outbox_topic ON outbox (topic, id);
