// Which byte streams write their small frames into the output slab (src/transport/output-slab.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LengthFieldCodec } from '../../src/index.js';
import { streamFraming } from '../../src/transport/framing.js';

it('tcp and unix frames go into the output slab; tls frames do not (a TLS socket holds what it is given until encrypted)', () => {
  const codec = new LengthFieldCodec();
  assert.equal(typeof streamFraming(codec, 'tcp').encoder.encodeInto, 'function');
  assert.equal(typeof streamFraming(codec, 'unix').encoder.encodeInto, 'function');
  assert.equal(streamFraming(codec, 'tls').encoder.encodeInto, undefined);
  // One framing per codec and kind: a broadcast encodes once per encoder.
  assert.equal(streamFraming(codec, 'tcp'), streamFraming(codec, 'unix'));
  assert.equal(streamFraming(codec, 'tls'), streamFraming(codec, 'tls'));
});
