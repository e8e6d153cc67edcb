-- SPDX-License-Identifier: MIT
-- 0009_node_learning: what a node that learns its machine (the turbine profile) last said of
-- its learning in a health message (proto/SPEC.md section 2.2, version 2): learn 0 unknown or
-- not learning, 1 learning (it flags nothing yet; learn_progress percent done), 2 ready
-- (judging; learn_threshold the learned score threshold). `tinyfleet node list/show` show it.
-- Written by the health message's node update, which runs anyway: no extra statement.

ALTER TABLE nodes ADD COLUMN learn INTEGER NOT NULL DEFAULT 0 CHECK (learn BETWEEN 0 AND 2);
ALTER TABLE nodes ADD COLUMN learn_progress INTEGER NOT NULL DEFAULT 0
    CHECK (learn_progress BETWEEN 0 AND 100);
ALTER TABLE nodes ADD COLUMN learn_threshold INTEGER NOT NULL DEFAULT 0
    CHECK (learn_threshold BETWEEN 0 AND 255);
