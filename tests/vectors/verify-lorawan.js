#!/usr/bin/env node
/* SPDX-License-Identifier: MIT
 * The independent side of tests/integration/lorawan_interop.sh: lora-packet checks frames
 * that tinyfleet built, and builds frames for tinyfleet to check.
 *   node verify-lorawan.js NWKSKEY_HEX APPSKEY_HEX PHYPAYLOAD_HEX [FCNT32]
 *     parses, checks the MIC, decrypts; prints one JSON line {mic_ok, devaddr, fcnt, fport,
 *     payload}; exit 0 only when the MIC verifies (1 when it does not, 2 for bad arguments).
 *     FCNT32 (decimal or 0x hex) supplies the counter's upper 16 bits; its low 16 bits must
 *     equal the frame's FCnt. Without it the upper bits are taken as 0.
 *   node verify-lorawan.js --build --devaddr HEX --fcnt N [--fport P] [--payload HEX]
 *                          --nwkskey HEX --appskey HEX [--confirmed]
 *     prints the PHYPayload hex of an ABP data-up frame (no --fport: no FPort, no payload).
 */
"use strict";

const lp = require("lora-packet");

const EXIT_OK = 0;
const EXIT_MIC = 1;
const EXIT_USAGE = 2;

class UsageError extends Error {}

function usage(msg) {
    throw new UsageError(msg);
}

function hexArg(name, s, len) {
    if (typeof s !== "string" || !/^([0-9a-fA-F]{2})*$/.test(s)) {
        usage(name + ": not hex");
    }
    const b = Buffer.from(s, "hex");
    if (len !== undefined && b.length !== len) {
        usage(name + ": want " + len + " bytes");
    }
    return b;
}

function intArg(name, s, max) {
    if (typeof s !== "string" || !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(s)) {
        usage(name + ": not a number");
    }
    const v = Number(s);
    if (!Number.isSafeInteger(v) || v < 0 || v > max) {
        usage(name + ": out of range");
    }
    return v;
}

/* Upper counter bits as B0 and A_i carry them (bytes 12 and 13, little-endian); lora-packet
 * appends this Buffer after the on-air FCnt verbatim. */
function fcntMsb(fcnt) {
    return Buffer.from([(fcnt >>> 16) & 0xff, (fcnt >>> 24) & 0xff]);
}

function verify(argv) {
    if (argv.length < 3 || argv.length > 4) {
        usage("want NWKSKEY APPSKEY PHYPAYLOAD [FCNT32]");
    }
    const nwk = hexArg("NWKSKEY", argv[0], 16);
    const app = hexArg("APPSKEY", argv[1], 16);
    const phy = hexArg("PHYPAYLOAD", argv[2]);
    const fcnt32 = argv.length === 4 ? intArg("FCNT32", argv[3], 0xffffffff) : undefined;

    /* lora-packet parses any MType and does not check a data frame's length, so refuse what
     * is not a LoRaWAN R1 data-up frame of a possible size before handing it over. */
    if (phy.length < 12 || phy.length > 255) {
        usage("PHYPAYLOAD: " + phy.length + " bytes, want 12..255");
    }
    if ((phy[0] & 0xe0) !== 0x40 && (phy[0] & 0xe0) !== 0x80) {
        usage("PHYPAYLOAD: MHDR " + phy[0].toString(16) + " is not a data-up frame");
    }
    if (8 + (phy[5] & 0x0f) > phy.length - 4) {
        usage("PHYPAYLOAD: FOpts run into the MIC");
    }

    const pkt = lp.fromWire(phy);
    const fcnt16 = pkt.getFCnt();
    const fcnt = fcnt32 === undefined ? fcnt16 : fcnt32;
    const out = {
        mic_ok: false,
        devaddr: pkt.DevAddr.toString("hex").toUpperCase(),
        fcnt,
        fport: pkt.getFPort(),
        payload: "",
    };
    if ((fcnt & 0xffff) !== fcnt16) {
        out.error = "FCNT32 does not end in the frame's FCnt " + fcnt16;
        return out;
    }
    const msb = fcntMsb(fcnt);
    /* verifyMIC(packet, NwkSKey, AppKey, FCntMSBytes): AppKey is only for join messages. */
    out.mic_ok = lp.verifyMIC(pkt, nwk, undefined, msb);
    if (out.fport !== null) {
        /* decrypt(packet, AppSKey, NwkSKey, FCntMSBytes) picks NwkSKey for FPort 0 itself. */
        out.payload = lp.decrypt(pkt, app, nwk, msb).toString("hex");
    }
    return out;
}

function build(argv) {
    const opt = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--confirmed") {
            opt.confirmed = true;
        } else if (["--devaddr", "--fcnt", "--fport", "--payload", "--nwkskey", "--appskey"].includes(a)) {
            if (i + 1 >= argv.length) {
                usage(a + " wants a value");
            }
            opt[a.slice(2)] = argv[++i];
        } else {
            usage("unknown option " + a);
        }
    }
    for (const need of ["devaddr", "fcnt", "nwkskey", "appskey"]) {
        if (opt[need] === undefined) {
            usage("--" + need + " is required");
        }
    }
    const devaddr = hexArg("--devaddr", opt.devaddr, 4); /* big-endian, as printed */
    const fcnt = intArg("--fcnt", opt.fcnt, 0xffffffff);
    const nwk = hexArg("--nwkskey", opt.nwkskey, 16);
    const app = hexArg("--appskey", opt.appskey, 16);
    const payload = opt.payload === undefined ? Buffer.alloc(0) : hexArg("--payload", opt.payload);
    const hasPort = opt.fport !== undefined;
    if (!hasPort && payload.length > 0) {
        usage("--payload needs --fport");
    }
    const msb = fcntMsb(fcnt);
    const fields = {
        MType: opt.confirmed ? 4 : 2, /* Confirmed / Unconfirmed Data Up */
        DevAddr: devaddr,
        FCnt: fcnt & 0xffff,
        payload,
    };
    if (hasPort) {
        fields.FPort = intArg("--fport", opt.fport, 255);
    }
    const pkt = lp.fromFields(fields, app, nwk, undefined, msb);
    if (!hasPort) {
        /* fromFields leaves the MIC unset (EEEEEEEE) for a frame without FPort. */
        lp.recalculateMIC(pkt, nwk, undefined, msb);
    }
    const phy = pkt.getPHYPayload();
    if (phy.length > 255) {
        usage("frame would be " + phy.length + " bytes, over 255");
    }
    return phy.toString("hex").toUpperCase();
}

function main() {
    const argv = process.argv.slice(2);
    try {
        if (argv[0] === "--build") {
            process.stdout.write(build(argv.slice(1)) + "\n");
            return EXIT_OK;
        }
        const out = verify(argv);
        process.stdout.write(JSON.stringify(out) + "\n");
        return out.mic_ok ? EXIT_OK : EXIT_MIC;
    } catch (e) {
        if (e instanceof UsageError) {
            process.stderr.write("verify-lorawan: " + e.message + "\n");
            return EXIT_USAGE;
        }
        throw e;
    }
}

process.exitCode = main();
