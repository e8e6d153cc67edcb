/* SPDX-License-Identifier: MIT
 * Error codes shared by every part of proto/. All are negative so that functions
 * producing bytes can return a length (>= 0) or an error in one int. Each way a frame or
 * payload can be wrong has its own code, so the gateway can count refusals by reason.
 */
#ifndef PROJ_PROTO_ERR_H
#define PROJ_PROTO_ERR_H

#if defined(__GNUC__)
#define PROTO_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PROTO_MUST_CHECK
#endif

enum proto_err {
    PROTO_OK = 0,
    PROTO_EINVAL = -1,    /* caller passed an impossible argument (NULL, bad length) */
    PROTO_ENOSPC = -2,    /* output buffer too small */
    PROTO_ETOOSHORT = -3, /* input ends before the structure it must hold */
    PROTO_ETOOLONG = -4,  /* input longer than any valid instance of its kind */
    PROTO_EVERSION = -5,  /* TFP version field is not 1 */
    PROTO_ECOUNT = -6,    /* TFP detection record count is 0 or above 8 */
    PROTO_ETRAILING = -7, /* bytes left after the records the header announced */
    PROTO_EPORT = -8,     /* FPort carries no TFP message we know */
    PROTO_EMTYPE = -9,    /* MHDR is not an unconfirmed or confirmed data-up frame */
    PROTO_EMAJOR = -10,   /* MHDR Major is not LoRaWAN R1 */
    PROTO_EMIC = -11,     /* MIC does not match */
    PROTO_ENOPORT = -12,  /* frame has no FPort/FRMPayload where one is required */
    PROTO_ENOREC = -13,   /* provisioning record: no magic (erased or unwritten page) */
    PROTO_ECRC = -14,     /* provisioning record: the CRC-32 does not match */
    PROTO_ERECVER = -15,  /* provisioning record: a version this code does not know */
    PROTO_EFOPTS = -16,   /* FOpts and FPort 0 in one frame (LoRaWAN 1.0.3 section 4.3.1.6) */
    PROTO_EFIELD = -17,   /* a TFP field holds a value its message does not allow */
};

/*
 * proto_strerror() - a short English text for a proto_err code.
 * @err: any value; unknown codes give "unknown error".
 * Return: a static string, never NULL. Any context.
 */
const char *proto_strerror(int err);

#endif
