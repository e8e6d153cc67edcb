// SPDX-License-Identifier: MIT
// lp_join.js request APPKEY JOINEUI DEVEUI DEVNONCE: a JoinRequest built by lora-packet (an
//   implementation we did not write), printed as hex.
// lp_join.js accept HEX APPKEY DEVNONCE: a JoinAccept decrypted and MIC-checked by
//   lora-packet, with the session keys it derives, as one JSON object: mtype, mic_ok,
//   join_nonce, net_id, devaddr, dl_settings, rx_delay, nwkskey, appskey (hex, upper case).
// Run with NODE_PATH=tests/vectors/node_modules.
const lp = require("lora-packet");

const args = process.argv.slice(2);
const hex = (b) => Buffer.from(b).toString("hex").toUpperCase();
if (args[0] === "request") {
    const [, appkey, joineui, deveui, devnonce] = args;
    const nonce = Buffer.alloc(2);
    nonce.writeUInt16BE(Number(devnonce), 0);
    const pkt = lp.fromFields(
        {
            MType: "Join Request",
            AppEUI: Buffer.from(joineui, "hex"),
            DevEUI: Buffer.from(deveui, "hex"),
            DevNonce: nonce,
        },
        undefined,
        undefined,
        Buffer.from(appkey, "hex")
    );
    console.log(hex(pkt.getPHYPayload()));
} else if (args[0] === "accept") {
    const [, phy, appkey, devnonce] = args;
    const key = Buffer.from(appkey, "hex");
    const plain = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(Buffer.from(phy, "hex")), key));
    const nonce = Buffer.alloc(2);
    nonce.writeUInt16BE(Number(devnonce), 0);
    const keys = lp.generateSessionKeys(key, plain.NetID, plain.AppNonce, nonce);
    console.log(JSON.stringify({
        mtype: plain.getMType(),
        mic_ok: lp.verifyMIC(plain, undefined, key),
        join_nonce: plain.AppNonce.readUIntBE(0, 3),
        net_id: plain.NetID.readUIntBE(0, 3),
        devaddr: hex(plain.DevAddr),
        dl_settings: plain.DLSettings[0],
        rx_delay: plain.RxDelay[0],
        nwkskey: hex(keys.NwkSKey),
        appskey: hex(keys.AppSKey),
    }));
} else {
    console.error("usage: lp_join.js request APPKEY JOINEUI DEVEUI DEVNONCE | accept HEX APPKEY DEVNONCE");
    process.exit(2);
}
