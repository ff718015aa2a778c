// Which byte streams write their small frames into the output slab (src/transport/output-slab.ts).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LengthFieldCodec } from '../../src/index.js';
import { streamFraming } from '../../src/transport/framing.js';

it('tcp, tls and unix share one framing per codec, whose frames go into the output slab', () => {
  const codec = new LengthFieldCodec();
  // TLS too: its link consumes a write within the call once its handshake is done (Link.consumesWrites).
  assert.equal(typeof streamFraming(codec).encoder.encodeInto, 'function');
  // One framing per codec: a broadcast encodes once for every byte stream.
  assert.equal(streamFraming(codec), streamFraming(codec));
  assert.notEqual(streamFraming(codec), streamFraming(new LengthFieldCodec()));
});
