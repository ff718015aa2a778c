import type { Connection, Registry, UnregisterEvent } from '../../src/index.js';

/** Every named user is in the lobby; plain text goes there until they /join a room. */
export const LOBBY = 'lobby';
const ROOM = 'room:';
const NAME = /^[A-Za-z0-9_.-]{1,24}$/;

const HELP = [
  'Commands:',
  '  /name NAME        pick or change your name',
  '  /join ROOM        join a room; what you type then goes to it',
  '  /leave [ROOM]     leave a room (the current one by default)',
  '  /msg NAME TEXT    a private message',
  '  /who [ROOM]       who is in the current room (or ROOM)',
  '  /rooms            the rooms and how many are in each',
  '  /help             this text',
  '  /quit             leave the chat',
  'Anything else is said to your current room (the lobby at first).',
];

/** What the chat keeps on each connection (`connection.context`). */
interface ChatContext {
  name?: string;
  /** The group plain text goes to. */
  room?: string;
}

/**
 * The chat itself, for any transport: it is handed connections whose messages are lines of text
 * and answers with lines of text. Names are registry flags, rooms are registry groups, and every
 * line it writes goes through a registry push, so the same code would serve a cluster.
 */
export class ChatRoom {
  constructor(private readonly registry: Registry) {
    registry.on('unregister', (event) => void this.gone(event));
  }

  /** Greets a new connection and handles its lines, one at a time and in order, until it closes. */
  async serve(connection: Connection): Promise<void> {
    // Taken before the first await, so that no line can arrive unheard.
    const lines = connection[Symbol.asyncIterator]();
    try {
      await this.tell(connection, ['Welcome to the Switchboard chat! What is your name?']);
      for (let next = await lines.next(); !next.done; next = await lines.next()) {
        try {
          await this.handle(connection, text(next.value));
        } catch (error) {
          // A push or a question that failed (in a cluster: Redis away, a node that did not answer
          // in time) is that line's failure, not the sender's: say so, log it, and read on.
          await this.failed(connection, error);
        }
      }
    } catch {
      // Only the connection itself failing (a reply that cannot be written) ends it.
      connection.close();
    }
  }

  private async failed(connection: Connection, error: unknown): Promise<void> {
    const code = (error as { code?: unknown }).code;
    console.error(`chat: a line from ${connection.id} failed: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`);
    await this.tell(connection, ['That did not go through (the chat is busy or partly unreachable); try again.']);
  }

  /** One line from a connection. */
  async handle(connection: Connection, line: string): Promise<void> {
    const context = connection.context as ChatContext;
    const input = line.trim();
    if (input === '') return;
    if (!input.startsWith('/')) {
      if (context.name === undefined) return this.rename(connection, input);
      return this.say(connection, input);
    }
    const [command = '', ...rest] = input.slice(1).split(/\s+/);
    const argument = rest.join(' ');
    switch (command.toLowerCase()) {
      case 'help':
        return this.tell(connection, HELP);
      case 'quit':
        await this.registry.close(connection, 'Bye!');
        return;
      case 'name':
        return this.rename(connection, argument);
    }
    if (context.name === undefined) return this.tell(connection, ['Pick a name first: type it, or /name NAME.']);
    switch (command.toLowerCase()) {
      case 'join':
        return this.join(connection, argument);
      case 'leave':
        return this.leave(connection, argument);
      case 'msg':
        return this.direct(connection, rest[0] ?? '', rest.slice(1).join(' '));
      case 'who':
        return this.who(connection, argument);
      case 'rooms':
        return this.rooms(connection);
      default:
        return this.tell(connection, [`Unknown command /${command}; /help lists them.`]);
    }
  }

  private async rename(connection: Connection, wanted: string): Promise<void> {
    const context = connection.context as ChatContext;
    if (!NAME.test(wanted)) {
      return this.tell(connection, ['A name is 1 to 24 letters, digits, dots, dashes or underscores. Try again?']);
    }
    const old = context.name;
    if (old === wanted) return this.tell(connection, [`You are ${wanted} already.`]);
    if (await this.registry.flagExists(wanted)) return this.tell(connection, [`${wanted} is taken. Another name?`]);
    await this.registry.bind(connection, wanted); // moves the connection off its old name
    context.name = wanted;
    if (old !== undefined) {
      await this.registry.sendToGroup(LOBBY, `* ${old} is now known as ${wanted}`);
      return;
    }
    await this.registry.join(connection, LOBBY);
    context.room = LOBBY;
    const others = (await this.registry.groupCount(LOBBY)) - 1;
    await this.tell(connection, [`Hello ${wanted}! ${others} other${others === 1 ? '' : 's'} here. /help lists the commands.`]);
    await this.registry.sendToGroup(LOBBY, `* ${wanted} joined the chat`, { except: connection });
  }

  private async say(connection: Connection, words: string): Promise<void> {
    const context = connection.context as ChatContext;
    const room = context.room ?? LOBBY;
    const prefix = room === LOBBY ? '' : `#${room.slice(ROOM.length)} `;
    await this.registry.sendToGroup(room, `${prefix}<${context.name}> ${clean(words)}`, { except: connection });
  }

  private async join(connection: Connection, name: string): Promise<void> {
    if (!NAME.test(name)) return this.tell(connection, ['Usage: /join ROOM (letters, digits, dots, dashes, underscores).']);
    const context = connection.context as ChatContext;
    const group = ROOM + name;
    const groups = await this.registry.groupsOf(connection);
    if (!groups.includes(group)) {
      await this.registry.join(connection, group);
      await this.registry.sendToGroup(group, `* ${context.name} joined #${name}`, { except: connection });
    }
    context.room = group;
    const count = await this.registry.groupCount(group);
    await this.tell(connection, [`You are in #${name} (${count} here). What you type goes to #${name}; /leave ${name} to go back to the lobby.`]);
  }

  private async leave(connection: Connection, name: string): Promise<void> {
    const context = connection.context as ChatContext;
    const group = name === '' ? context.room ?? LOBBY : ROOM + name;
    if (group === LOBBY) return this.tell(connection, ['You cannot leave the lobby; /quit leaves the chat.']);
    if (!(await this.registry.groupsOf(connection)).includes(group)) {
      return this.tell(connection, [`You are not in #${group.slice(ROOM.length)}.`]);
    }
    await this.registry.leave(connection, group);
    await this.registry.sendToGroup(group, `* ${context.name} left #${group.slice(ROOM.length)}`);
    if (context.room === group) context.room = LOBBY;
    await this.tell(connection, [`You left #${group.slice(ROOM.length)}; you are in the ${context.room === LOBBY ? 'lobby' : `#${(context.room ?? '').slice(ROOM.length)}`}.`]);
  }

  private async direct(connection: Connection, to: string, words: string): Promise<void> {
    if (to === '' || words === '') return this.tell(connection, ['Usage: /msg NAME TEXT']);
    const from = (connection.context as ChatContext).name;
    // Every connection bound to that name gets it once.
    const reached = await this.registry.sendByFlag(to, `*${from}* ${clean(words)}`);
    await this.tell(connection, [reached > 0 ? `-> ${to}: ${clean(words)}` : `No one called ${to} is here.`]);
  }

  private async who(connection: Connection, name: string): Promise<void> {
    const context = connection.context as ChatContext;
    const group = name === '' ? context.room ?? LOBBY : name === LOBBY ? LOBBY : ROOM + name;
    const label = group === LOBBY ? 'the lobby' : `#${group.slice(ROOM.length)}`;
    const ids = await this.registry.groupConnections(group);
    const names = (await Promise.all(ids.map((id) => this.registry.flagOf(id)))).filter((n): n is string => n !== undefined).sort();
    await this.tell(connection, [names.length === 0 ? `No one is in ${label}.` : `In ${label} (${names.length}): ${names.join(', ')}`]);
  }

  private async rooms(connection: Connection): Promise<void> {
    const rooms = (await this.registry.groups()).filter((group) => group.startsWith(ROOM)).sort();
    if (rooms.length === 0) return this.tell(connection, ['No rooms yet: /join ROOM makes one.']);
    const counts = await Promise.all(rooms.map((room) => this.registry.groupCount(room)));
    await this.tell(connection, [`Rooms: ${rooms.map((room, i) => `#${room.slice(ROOM.length)} (${counts[i]})`).join(', ')}`]);
  }

  /** A connection closed: the registry tells what it held, and the lobby hears it. */
  private async gone({ flag }: UnregisterEvent): Promise<void> {
    if (flag === undefined) return;
    try {
      await this.registry.sendToGroup(LOBBY, `* ${flag} left the chat`);
    } catch {
      // Nobody to tell about a failed goodbye; the chat goes on.
    }
  }

  private async tell(connection: Connection, lines: readonly string[]): Promise<void> {
    for (const line of lines) await this.registry.send(connection, line);
  }
}

/** A line as text, whatever the transport handed over. */
function text(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('utf8');
  return String(message);
}

/** No control characters: no line breaks inside a line, no terminal escapes from one user to the others. */
function clean(words: string): string {
  return words.replace(/[\u0000-\u001f\u007f]/g, ' ');
}
