/* SPDX-License-Identifier: MIT
 * The provisioning record (proto/provision.h) applied to a node's configuration at boot:
 * identity, sensing schedule and health interval. Both boards' main files call it, so the
 * QEMU node and the STM32WL55 read a record the same way. A node command changing the
 * schedule later goes through node_set_sensing() (node.h) instead.
 */
#ifndef PROJ_NODEFW_PROVISION_H
#define PROJ_NODEFW_PROVISION_H

#include "nodefw/node.h"
#include "proto/provision.h"

/*
 * node_config_from_record() - set @cfg's DevAddr, keys, sensing schedule and health
 * interval from @rec (a record proto_provision_parse() accepted). A duty cycle's phase is
 * sensing_phase_ms() of the DevAddr, so nodes provisioned alike do not listen in step.
 * @cfg: in/out, node_default_config() of the image's profile.
 * Return: 0; NODE_EINVAL (the record is for another profile, or its schedule fails
 * sensing_config_ok(): nothing the node could run). @cfg is changed only on success.
 */
HAL_MUST_CHECK int node_config_from_record(struct node_config *cfg,
                                           const struct proto_provision *rec);

#endif
