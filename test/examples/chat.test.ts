import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChat, type RunningChat } from '../../examples/chat/main.js';
import { LineClient } from '../helpers/line-client.js';

describe('chat demo', () => {
  let chat: RunningChat;
  before(async () => {
    chat = await startChat({ port: 0, webPort: 0 });
  });
  after(async () => {
    await chat.stop();
  });

  it('names, says, rooms, direct messages, who, quit — over two TCP clients', async () => {
    const alice = new LineClient(chat.port);
    assert.match(await alice.line(), /^Welcome/);
    alice.send('alice');
    assert.equal(await alice.line(), 'Hello alice! 0 others here. /help lists the commands.');

    const bob = new LineClient(chat.port);
    assert.match(await bob.line(), /^Welcome/);
    bob.send('/join games');
    assert.equal(await bob.line(), 'Pick a name first: type it, or /name NAME.');
    bob.send('/name alice');
    assert.equal(await bob.line(), 'alice is taken. Another name?');
    bob.send('/name bob');
    assert.equal(await bob.line(), 'Hello bob! 1 other here. /help lists the commands.');
    assert.equal(await alice.line(), '* bob joined the chat');

    alice.send('hi all');
    assert.equal(await bob.line(), '<alice> hi all');

    alice.send('/join games');
    assert.equal(await alice.line(), 'You are in #games (1 here). What you type goes to #games; /leave games to go back to the lobby.');
    bob.send('/join games');
    assert.equal(await bob.line(), 'You are in #games (2 here). What you type goes to #games; /leave games to go back to the lobby.');
    assert.equal(await alice.line(), '* bob joined #games');
    bob.send('gg');
    assert.equal(await alice.line(), '#games <bob> gg');

    alice.send('/msg bob psst');
    assert.equal(await bob.line(), '*alice* psst');
    assert.equal(await alice.line(), '-> bob: psst');
    alice.send('/msg nobody hello?');
    assert.equal(await alice.line(), 'No one called nobody is here.');

    bob.send('/who');
    assert.equal(await bob.line(), 'In #games (2): alice, bob');
    bob.send('/who lobby');
    assert.equal(await bob.line(), 'In the lobby (2): alice, bob');
    alice.send('/rooms');
    assert.equal(await alice.line(), 'Rooms: #games (2)');

    bob.send('/leave');
    assert.equal(await bob.line(), 'You left #games; you are in the lobby.');
    assert.equal(await alice.line(), '* bob left #games');
    bob.send('/frobnicate');
    assert.equal(await bob.line(), 'Unknown command /frobnicate; /help lists them.');
    bob.send('/help');
    assert.equal(await bob.line(), 'Commands:');
    for (let i = 0; i < 9; i++) await bob.line();

    bob.send('/quit');
    assert.equal(await bob.line(), 'Bye!');
    await bob.ended();
    assert.equal(await alice.line(), '* bob left the chat');
    await alice.quiet();
    assert.equal(await chat.registry.flagExists('bob'), false);
    alice.destroy();
  });

  it('handles lines that arrive together in order, and keeps control characters out', async () => {
    const dave = new LineClient(chat.port);
    await dave.line();
    dave.send('dave');
    await dave.line();
    const carol = new LineClient(chat.port);
    await carol.line();
    carol.write('carol\nhello \u001b[2Jthere\n');
    assert.match(await carol.line(), /^Hello carol!/);
    assert.equal(await dave.line(), '* carol joined the chat');
    assert.equal(await dave.line(), '<carol> hello  [2Jthere');
    carol.destroy();
    assert.equal(await dave.line(), '* carol left the chat');
    dave.destroy();
  });
});
