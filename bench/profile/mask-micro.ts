// Nanoseconds per unmask, JavaScript against the native accelerator, by payload size: where the
// call into C starts to pay (NATIVE_MASK_MIN in src/transport/websocket/mask.ts).
//   npm run build && node dist/bench/profile/mask-micro.js
import { nativeAddon } from '../../src/transport/native-addon.js';
import { applyMask } from '../../src/transport/websocket/mask.js';

const unmask = nativeAddon?.unmask;
if (unmask === undefined && process.env.SWITCHBOARD_NATIVE !== '0') {
  process.stderr.write('the native accelerator is not built (npm run build:native)\n');
  process.exit(1);
}
// Run once as is (the addon's unmask, called directly) and once with SWITCHBOARD_NATIVE=0
// (applyMask, then all JavaScript), and compare the two columns.
const native = process.env.SWITCHBOARD_NATIVE !== '0';
const slab = Buffer.allocUnsafeSlow(1 << 20);
const key = 0x12345678;
for (const size of [16, 32, 64, 96, 128, 192, 256, 512, 1024, 4096]) {
  const views: Buffer[] = [];
  for (let at = 3; at + size <= slab.length && views.length < 512; at += size + 5) views.push(slab.subarray(at, at + size));
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < 400; r++) for (const view of views) native ? unmask!(view, key) : applyMask(view, key);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / (400 * views.length));
  }
  console.log(`${native ? 'native' : 'javascript'} ${size} B: ${best.toFixed(1)} ns`);
}
