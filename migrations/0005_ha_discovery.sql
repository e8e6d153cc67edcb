-- SPDX-License-Identifier: MIT
-- 0005_ha_discovery: the Home Assistant discovery configs the daemon has queued ([mqtt]
-- homeassistant, daemon/mqtt/homeassistant.c), one row per retained config topic. A node
-- removed from the registry, or a zone or class taken out of the config, has rows here and no
-- longer a reason for them: their topics are emptied and the rows deleted, in the batch that
-- queues the empty retained messages, also when the removal happened while the daemon was
-- stopped.
CREATE TABLE ha_discovery (
    topic TEXT PRIMARY KEY NOT NULL,
    payload TEXT NOT NULL -- the config as queued, so that only a changed one is queued again
) STRICT, WITHOUT ROWID;
