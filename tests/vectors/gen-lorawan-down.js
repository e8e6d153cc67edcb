#!/usr/bin/env node
/* SPDX-License-Identifier: MIT
 * Writes lorawan_down_vectors.h to stdout: LoRaWAN 1.0.x data-down frames built by lora-packet
 * (Dir = 1 in B0 and A_i, FCntDown), and node-command payloads (proto/SPEC.md section 9)
 * encoded here from the specification's tables, for tests/proto/test_downlink.c and
 * tests/proto/test_command.c. Deterministic: fixed keys and fields, so a rerun with the same
 * lora-packet version gives the same file byte for byte. Every frame is parsed back,
 * MIC-checked and decrypted with lora-packet before anything is printed.
 */
"use strict";

const lp = require("lora-packet");
const LP_VERSION = require("lora-packet/package.json").version;

const MTYPE_UNCONFIRMED_DOWN = 3; /* MHDR 0x60 */
const MTYPE_CONFIRMED_DOWN = 5; /* MHDR 0xA0 */

/* Downlink FCtrl bits as on air (LoRaWAN 1.0.3 section 4.3.1): bit 6 is RFU. */
const ADR = 0x80;
const ACK = 0x20;
const FPENDING = 0x10;

const KEYS = {
    readme: {
        nwk: Buffer.from("44024241ed4ce9a68c6a8bc055233fd3", "hex"),
        app: Buffer.from("ec925802ae430ca77fd3dd73cb2cc588", "hex"),
    },
    b: {
        nwk: Buffer.from("f0e1d2c3b4a5968778695a4b3c2d1e0f", "hex"),
        app: Buffer.from("a1b2c3d4e5f60718293a4b5c6d7e8f90", "hex"),
    },
};

/* Node commands, FPort 10 (SPEC.md 9.1): version 1 | seq u16 LE | op | arguments. */
function u16le(v) {
    return [v & 0xff, (v >>> 8) & 0xff];
}
function u32le(v) {
    return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
const OPS = {
    interval: { op: 1, args: (a) => u32le(a.seconds) },
    "health-interval": { op: 2, args: (a) => u32le(a.seconds) },
    threshold: { op: 3, args: (a) => [a.cls, a.conf] },
    duty: { op: 4, args: (a) => [...u16le(a.permille), a.dr] },
    "learn-restart": { op: 5, args: () => [] },
    "health-now": { op: 6, args: () => [] },
    reboot: { op: 7, args: () => [] },
};
function command(name, seq, args) {
    const o = OPS[name];
    return Buffer.from([1, ...u16le(seq), o.op, ...o.args(args || {})]);
}

const COMMANDS = [
    { name: "interval", seq: 1, args: { seconds: 900 }, c: "{.seconds = 900}" },
    { name: "health-interval", seq: 0x1234, args: { seconds: 0 }, c: "{.seconds = 0}" },
    { name: "health-interval", seq: 2, args: { seconds: 604800 }, c: "{.seconds = 604800}" },
    { name: "threshold", seq: 3, args: { cls: 1, conf: 204 }, c: "{.threshold = {1, 204}}" },
    { name: "duty", seq: 0xfffe, args: { permille: 500, dr: 5 }, c: "{.duty = {500, 5}}" },
    { name: "learn-restart", seq: 4, c: "{.seconds = 0}" },
    { name: "health-now", seq: 5, c: "{.seconds = 0}" },
    { name: "reboot", seq: 0xffff, c: "{.seconds = 0}" },
];

const CASES = [
    /* A bare ACK to a confirmed uplink: no FPort, no FRMPayload. */
    { name: "ack_only_fcnt0", keys: "readme", flags: ACK, fcnt: 0, payload: null },
    { name: "ack_health_now_fcnt1", keys: "readme", flags: ACK, fcnt: 1, fport: 10, cmd: 6 },
    {
        name: "confirmed_threshold_fpending_fcnt65536",
        keys: "b",
        confirmed: true,
        flags: FPENDING,
        fcnt: 0x10000,
        fport: 10,
        cmd: 3,
    },
    {
        name: "duty_adr_ack_fcntffffffff",
        keys: "b",
        flags: ADR | ACK,
        fcnt: 0xffffffff,
        fport: 10,
        cmd: 4,
    },
    /* LinkCheckAns (margin 20 dB, 2 gateways) and DevStatusReq in FOpts, plain in 1.0.x. */
    {
        name: "fopts3_interval_fcnt12345678",
        keys: "readme",
        devaddr: 0xfe00a5c3,
        flags: ACK,
        fopts: Buffer.from([0x02, 0x14, 0x02, 0x06]),
        fcnt: 0x12345678,
        fport: 10,
        cmd: 0,
    },
    /* FPort 0: MAC commands under NwkSKey. */
    { name: "port0_devstatusreq_fcnt7", keys: "b", fcnt: 7, fport: 0, payload: Buffer.from([0x06]) },
    { name: "fport10_empty_fcnt2", keys: "readme", fcnt: 2, fport: 10, payload: Buffer.alloc(0) },
];

function fail(msg) {
    throw new Error("gen-lorawan-down: " + msg);
}

function build(c) {
    const keys = KEYS[c.keys];
    const devaddr = c.devaddr === undefined ? 0x26011f00 : c.devaddr;
    const flags = c.flags || 0;
    const fopts = c.fopts || Buffer.alloc(0);
    let payload = c.payload;
    if (c.cmd !== undefined) {
        const k = COMMANDS[c.cmd];
        payload = command(k.name, k.seq, k.args);
    }
    const hasPort = payload !== null;
    const msb = Buffer.from([(c.fcnt >>> 16) & 0xff, (c.fcnt >>> 24) & 0xff]);
    const da = Buffer.alloc(4);
    da.writeUInt32BE(devaddr >>> 0, 0);
    const fields = {
        MType: c.confirmed ? MTYPE_CONFIRMED_DOWN : MTYPE_UNCONFIRMED_DOWN,
        DevAddr: da,
        FCnt: c.fcnt & 0xffff,
        FCtrl: {
            ADR: (flags & ADR) !== 0,
            ACK: (flags & ACK) !== 0,
            FPending: (flags & FPENDING) !== 0,
        },
        FOpts: fopts,
        payload: hasPort ? payload : Buffer.alloc(0),
    };
    if (hasPort) {
        fields.FPort = c.fport;
    }
    const pkt = lp.fromFields(fields, keys.app, keys.nwk, undefined, msb);
    if (!hasPort) {
        lp.recalculateMIC(pkt, keys.nwk, undefined, msb);
    }
    const phy = Buffer.from(pkt.getPHYPayload());
    const back = lp.fromWire(phy);
    if (back.getDir() !== "down") {
        fail(c.name + ": not a downlink");
    }
    if (!lp.verifyMIC(back, keys.nwk, undefined, msb)) {
        fail(c.name + ": lora-packet rejects its own MIC");
    }
    if (hasPort && payload.length > 0 && !lp.decrypt(back, keys.app, keys.nwk, msb).equals(payload)) {
        fail(c.name + ": decrypt does not give the plaintext");
    }
    if (back.getFCtrlACK() !== ((flags & ACK) !== 0) || back.getFCtrlFPending() !== ((flags & FPENDING) !== 0)) {
        fail(c.name + ": FCtrl did not survive");
    }
    return { c, devaddr, flags, fopts, hasPort, payload: hasPort ? payload : Buffer.alloc(0), keys, phy };
}

function hex32(v) {
    return "0x" + (v >>> 0).toString(16).toUpperCase().padStart(8, "0");
}
function hex8(v) {
    return "0x" + v.toString(16).toUpperCase().padStart(2, "0");
}
function bytes(field, buf, indent) {
    const pad = " ".repeat(indent);
    if (buf.length <= 8) {
        return pad + "." + field + " = {" + Array.from(buf, hex8).join(", ") + "},\n";
    }
    let s = pad + "." + field + " = {\n";
    for (let i = 0; i < buf.length; i += 12) {
        s += pad + "    " + Array.from(buf.subarray(i, i + 12), hex8).join(", ") + ",\n";
    }
    return s + pad + "},\n";
}

function emit(vectors) {
    let s = "";
    s += "/* SPDX-License-Identifier: MIT\n";
    s += " * GENERATED by tests/vectors/gen-lorawan-down.js from lora-packet " + LP_VERSION + " (npm): DO NOT EDIT.\n";
    s += " * Regenerate with `make vectors`. LoRaWAN 1.0.x data-down frames (Dir = 1) built by an\n";
    s += " * implementation we did not write, and node commands encoded from proto/SPEC.md section 9.\n";
    s += " * Defines static tables, so exactly one translation unit includes it.\n";
    s += " */\n";
    s += "#ifndef PROJ_TESTS_VECTORS_LORAWAN_DOWN_VECTORS_H\n";
    s += "#define PROJ_TESTS_VECTORS_LORAWAN_DOWN_VECTORS_H\n\n";
    s += "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n";
    s += "#include \"proto/command.h\"\n\n";
    s += "struct lorawan_down_vector {\n";
    s += "    const char *name;    /* what the case covers */\n";
    s += "    bool confirmed;      /* MHDR 0xA0, else 0x60 */\n";
    s += "    uint32_t devaddr;    /* as written on the device */\n";
    s += "    uint32_t fcnt;       /* full 32-bit FCntDown */\n";
    s += "    uint8_t fctrl_flags; /* FCtrl without FOptsLen */\n";
    s += "    uint8_t fopts_len;   /* 0..15 */\n";
    s += "    uint8_t fopts[15];   /* FOpts as on air */\n";
    s += "    bool has_fport;      /* false: no FPort, no FRMPayload */\n";
    s += "    uint8_t fport;       /* valid when has_fport */\n";
    s += "    int command;         /* index into lorawan_down_commands, -1: none */\n";
    s += "    size_t payload_len;  /* plaintext FRMPayload bytes */\n";
    s += "    uint8_t payload[16]; /* plaintext FRMPayload */\n";
    s += "    uint8_t nwkskey[16]; /* MIC key, FPort 0 payload key */\n";
    s += "    uint8_t appskey[16]; /* FPort 1..255 payload key */\n";
    s += "    size_t phy_len;      /* expected PHYPayload bytes */\n";
    s += "    uint8_t phy[40];     /* expected PHYPayload, MIC last */\n";
    s += "};\n\n";
    s += "struct lorawan_down_command {\n";
    s += "    struct proto_cmd cmd; /* the decoded command */\n";
    s += "    size_t len;           /* its FRMPayload bytes */\n";
    s += "    uint8_t bytes[PROTO_CMD_MAX_LEN];\n";
    s += "};\n\n";
    s += "/* clang-format off */\n";
    s += "static const struct lorawan_down_command lorawan_down_commands[] = {\n";
    for (const k of COMMANDS) {
        const b = command(k.name, k.seq, k.args);
        s += "    /* " + k.name + " */\n";
        s += "    {.cmd = {.seq = " + k.seq + ", .op = " + OPS[k.name].op + ", .u = " + k.c + "},\n";
        s += "     .len = " + b.length + ",\n";
        s += bytes("bytes", b, 5);
        s += "    },\n";
    }
    s += "};\n\n";
    s += "static const struct lorawan_down_vector lorawan_down_vectors[] = {\n";
    for (const v of vectors) {
        if (v.phy.length > 40 || v.payload.length > 16) {
            fail(v.c.name + ": does not fit the struct");
        }
        s += "    {\n";
        s += '        .name = "' + v.c.name + '",\n';
        s += "        .confirmed = " + !!v.c.confirmed + ",\n";
        s += "        .devaddr = " + hex32(v.devaddr) + ",\n";
        s += "        .fcnt = " + hex32(v.c.fcnt) + ",\n";
        s += "        .fctrl_flags = " + hex8(v.flags) + ",\n";
        s += "        .fopts_len = " + v.fopts.length + ",\n";
        if (v.fopts.length > 0) {
            s += bytes("fopts", v.fopts, 8);
        }
        s += "        .has_fport = " + v.hasPort + ",\n";
        s += "        .fport = " + (v.hasPort ? v.c.fport : 0) + ",\n";
        s += "        .command = " + (v.c.cmd === undefined ? -1 : v.c.cmd) + ",\n";
        s += "        .payload_len = " + v.payload.length + ",\n";
        if (v.payload.length > 0) {
            s += bytes("payload", v.payload, 8);
        }
        s += bytes("nwkskey", v.keys.nwk, 8);
        s += bytes("appskey", v.keys.app, 8);
        s += "        .phy_len = " + v.phy.length + ",\n";
        s += bytes("phy", v.phy, 8);
        s += "    },\n";
    }
    s += "};\n";
    s += "/* clang-format on */\n\n";
    s += "#define LORAWAN_DOWN_COMMANDS_COUNT" + " ".repeat(64) + "\\\n";
    s += "    (sizeof(lorawan_down_commands) / sizeof(lorawan_down_commands[0]))\n";
    s += "#define LORAWAN_DOWN_VECTORS_COUNT (sizeof(lorawan_down_vectors) / sizeof(lorawan_down_vectors[0]))\n\n";
    s += "#endif\n";
    return s;
}

try {
    process.stdout.write(emit(CASES.map(build)));
} catch (e) {
    process.stderr.write(e.message + "\n");
    process.exit(1);
}
