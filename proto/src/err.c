/* SPDX-License-Identifier: MIT
 * Texts for proto_err codes; the gateway logs and counts refusals by these.
 */
#include "proto/err.h"

const char *proto_strerror(int err)
{
    switch (err) {
    case PROTO_OK:
        return "success";
    case PROTO_EINVAL:
        return "invalid argument";
    case PROTO_ENOSPC:
        return "output buffer too small";
    case PROTO_ETOOSHORT:
        return "too short";
    case PROTO_ETOOLONG:
        return "too long";
    case PROTO_EVERSION:
        return "unsupported TFP version";
    case PROTO_ECOUNT:
        return "detection record count not in 1..8";
    case PROTO_ETRAILING:
        return "trailing bytes after the records";
    case PROTO_EPORT:
        return "unknown FPort";
    case PROTO_EMTYPE:
        return "not a data-up frame";
    case PROTO_EMAJOR:
        return "unsupported LoRaWAN major version";
    case PROTO_EMIC:
        return "MIC mismatch";
    case PROTO_ENOPORT:
        return "frame has no FPort";
    case PROTO_ENOREC:
        return "no record (erased page)";
    case PROTO_ECRC:
        return "CRC mismatch";
    case PROTO_ERECVER:
        return "unknown record version";
    case PROTO_EFOPTS:
        return "MAC commands in both FOpts and FPort 0";
    case PROTO_EFIELD:
        return "field value out of range";
    default:
        return "unknown error";
    }
}
