// SPDX-License-Identifier: MIT
// lp_down.js HEX NWKSKEY APPSKEY [FCNT_MSB16]: a downlink PHYPayload checked and decrypted by
// lora-packet (an implementation we did not write), printed as one JSON object: dir, mtype,
// devaddr, fcnt (16 bits), ack, fpending, fport (null without), payload (hex, decrypted),
// mic_ok. Run with NODE_PATH=tests/vectors/node_modules.
const lp = require("lora-packet");

const [hex, nwk, app, msb] = process.argv.slice(2);
const pkt = lp.fromWire(Buffer.from(hex, "hex"));
const nk = Buffer.from(nwk, "hex");
const ak = Buffer.from(app, "hex");
const m = Buffer.alloc(2);
m.writeUInt16LE(Number(msb || 0), 0);
const hasPort = pkt.FPort !== undefined && pkt.FPort !== null;
console.log(JSON.stringify({
    dir: pkt.getDir(),
    mtype: pkt.getMType(),
    devaddr: pkt.DevAddr.toString("hex").toUpperCase(),
    fcnt: pkt.getFCnt(),
    ack: pkt.getFCtrlACK(),
    fpending: pkt.getFCtrlFPending(),
    fport: hasPort ? pkt.getFPort() : null,
    payload: hasPort ? lp.decrypt(pkt, ak, nk, m).toString("hex").toUpperCase() : "",
    mic_ok: lp.verifyMIC(pkt, nk, undefined, m),
}));
