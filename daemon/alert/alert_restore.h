/* SPDX-License-Identifier: MIT
 * The way back at start: the active alerts alert_record() stored, read from the store into
 * fusion, so that each goes on where it stopped. Loop thread only, before the first input.
 */
#ifndef PROJ_DAEMON_ALERT_ALERT_RESTORE_H
#define PROJ_DAEMON_ALERT_ALERT_RESTORE_H

#include "alert/fusion.h"
#include "store/store.h"

/*
 * alert_restore() - hand every active alert of the store to fusion_restore() and set the
 * next id above every stored one. An alert that cannot be restored (its JSON damaged, its
 * rule gone) is logged and skipped; fusion clears what it restores without a rule.
 * Return: the number restored, or -EIO when the store cannot be read.
 */
int alert_restore(struct store *s, struct fusion *f);

#endif
