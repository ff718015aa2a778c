// The chat page. To the chat server it is one more line client, like nc: the first line is the
// name, commands start with '/', every message in or out is a line of text. All the page adds is
// an echo of what you type, some colour, the connection state, and taking your name back after a
// reconnect (the module reconnects by itself).
import { SwitchboardClient } from '/switchboard-client.js';

/** Entries kept in the log; older ones are dropped. */
const MAX_ENTRIES = 500;

const log = document.getElementById('log');
const entries = document.getElementById('entries');
const form = document.getElementById('say');
const input = document.getElementById('line');
const label = document.getElementById('line-label');
const button = document.getElementById('send');
const status = document.getElementById('status');

const url = new URL('/chat', location.href);
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const client = new SwitchboardClient(url.href, { reconnect: { initialDelay: 250, maxDelay: 5000 } });

/** The name the server gave us; the one we asked for and wait to hear back about. */
let name;
let asked;
let leaving = false;

client.on('establish', () => {
  setStatus('open', 'Connected');
  // A new connection has no name yet: ask for the one we had (the server answers as to anyone).
  if (asked !== undefined) client.send(`/name ${asked}`);
});

client.on('message', ({ message }) => {
  const text = typeof message === 'string' ? message : new TextDecoder().decode(message);
  // One message may hold several lines; a trailing line break adds nothing.
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  if (asked !== undefined && (lines.startsWith(`Hello ${asked}! `) || lines === `* ${name} is now known as ${asked}`)) {
    named(asked);
  }
  add(lines, kindOf(lines));
});

client.on('close', () => {
  if (name !== undefined) asked = name;
  named(undefined);
  if (leaving) {
    client.close();
    setStatus('closed', 'You left the chat');
    add('You left the chat. Reload the page to come back.', 'note');
    input.disabled = true;
    return;
  }
  setStatus('closed', 'Disconnected');
});

client.on('reconnect', ({ delay }) => {
  setStatus('waiting', delay < 1000 ? 'Reconnecting…' : `Offline, retrying in ${Math.round(delay / 1000)} s…`);
});

client.connect().catch(() => undefined); // it retries by itself; this only rejects once closed

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const line = input.value.trim();
  // Offline, Send is disabled and the line stays in the box: nothing is queued behind your back
  // (a queued line would reach a new connection before its name does).
  if (line === '' || client.state !== 'open') return;
  client.send(line);
  input.value = '';
  const [command, argument] = line.split(/\s+/, 2);
  if (line.startsWith('/')) {
    if (command.toLowerCase() === '/name' && argument) asked = argument;
    if (command.toLowerCase() === '/quit') leaving = true;
    add(line, 'mine command');
  } else if (name === undefined) {
    asked = line;
    add(line, 'mine command');
  } else {
    add(`<${name}> ${line}`, 'mine said');
  }
});

function named(now) {
  name = now;
  if (now !== undefined) asked = undefined;
  label.textContent = now === undefined ? 'Your name' : `Message as ${now}`;
  input.placeholder = now === undefined ? 'Pick a name to start' : 'Say something, or /help';
}

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  button.disabled = state !== 'open';
}

/** What a chat line is, from its shape (the same shapes an nc user reads). */
function kindOf(text) {
  if (/^\*[^*\s]+\* /.test(text)) return 'private';
  if (text.startsWith('-> ')) return 'private mine';
  if (text.startsWith('* ')) return 'event';
  if (/^(#\S+ )?<[^>]+> /.test(text)) return 'said';
  return 'server';
}

/** Appends an entry; its text content is exactly `text` (names and rooms are only wrapped). */
function add(text, kind) {
  const entry = document.createElement('li');
  entry.className = kind;
  entry.dataset.time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const said = /^(#\S+ )?(<[^>]+>)( [^]*)$/.exec(text);
  if (kind.includes('said') && said) {
    if (said[1]) entry.append(span('room', said[1]));
    entry.append(span('who', said[2]), said[3]);
  } else {
    entry.textContent = text;
  }
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 32;
  entries.append(entry);
  while (entries.childElementCount > MAX_ENTRIES) entries.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function span(className, text) {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}
