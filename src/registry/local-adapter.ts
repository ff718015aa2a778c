import type { AnyConnection } from '../connection/connection.js';
import type { AdapterInit, Payload, PushResult, RegistryAdapter, Target } from './adapter.js';
import { broadcast } from './broadcast.js';
import { Membership, type Holdings, type Member } from './membership.js';

/**
 * The registry of one process: its connections, their flags and groups, held in a
 * {@link Membership}. Every answer is ready at once; the Promises only keep the interface the one
 * a cluster adapter implements. A cluster adapter can wrap one of these for its own process.
 */
export class LocalAdapter implements RegistryAdapter {
  private readonly membership = new Membership();

  /** Takes the registry's init like every adapter; a local one needs nothing of it. */
  constructor(_init?: AdapterInit) {}

  register(connection: AnyConnection): void {
    this.membership.add(connection);
  }

  unregister(connection: AnyConnection): Holdings | undefined {
    // An id may be reused by another server's connection: only forget the one that closed.
    if (this.membership.member(connection.id)?.connection !== connection) return undefined;
    return this.membership.remove(connection.id);
  }

  // ---- membership --------------------------------------------------------------------------

  async bind(id: string, flag: string): Promise<boolean> {
    const member = this.membership.member(id);
    if (!member) return false;
    this.membership.bind(member, flag);
    return true;
  }

  async unbind(id: string): Promise<boolean> {
    const member = this.membership.member(id);
    return member !== undefined && this.membership.unbind(member) !== undefined;
  }

  async join(id: string, groups: readonly string[]): Promise<boolean> {
    const member = this.membership.member(id);
    if (!member) return false;
    for (const group of groups) this.membership.join(member, group);
    return true;
  }

  async leave(id: string, groups: readonly string[]): Promise<boolean> {
    const member = this.membership.member(id);
    if (!member) return false;
    for (const group of groups) this.membership.leave(member, group);
    return true;
  }

  async updateContext(id: string, patch: Readonly<Record<string, unknown>>): Promise<boolean> {
    const member = this.membership.member(id);
    if (!member) return false;
    Object.assign(member.connection.context, patch);
    return true;
  }

  // ---- push --------------------------------------------------------------------------------

  async push(target: Target, payload: Payload): Promise<PushResult> {
    return this.pushNow(target, payload);
  }

  /** {@link push} without the Promise, for adapters that wrap this one. */
  pushNow(target: Target, payload: Payload): PushResult {
    return broadcast(this.connectionsOf(target), payload);
  }

  async close(target: Target, finalMessage?: unknown): Promise<number> {
    return this.closeNow(target, finalMessage);
  }

  // ---- questions ---------------------------------------------------------------------------

  async ids(target: Target): Promise<string[]> {
    return this.connectionsOf(target).map((connection) => connection.id);
  }

  async count(target: Target): Promise<number> {
    return this.countNow(target);
  }

  countNow(target: Target): number {
    // The common questions are one set's size; the rest walk their members.
    switch (target.type) {
      case 'all':
        if (!target.except || target.except.length === 0) return this.membership.size;
        break;
      case 'flags':
        if (target.flags.length === 1) return this.membership.flagMembers(target.flags[0]!)?.size ?? 0;
        break;
      case 'groups':
        if (target.groups.length === 1 && (!target.except || target.except.length === 0)) {
          return this.membership.groupMembers(target.groups[0]!)?.size ?? 0;
        }
        break;
      case 'ids':
        if (target.ids.length === 1) return this.membership.member(target.ids[0]!) ? 1 : 0;
        break;
    }
    return this.connectionsOf(target).length;
  }

  async flagOf(id: string): Promise<string | undefined> {
    return this.membership.member(id)?.flag;
  }

  holdingsOf(id: string): Holdings | undefined {
    const member = this.membership.member(id);
    return member ? { flag: member.flag, groups: this.membership.groupsOf(member) } : undefined;
  }

  async groupsOf(id: string): Promise<string[]> {
    const member = this.membership.member(id);
    return member ? this.membership.groupsOf(member) : [];
  }

  async groups(): Promise<string[]> {
    return [...this.membership.groupNames()];
  }

  async context(id: string): Promise<Record<string, unknown> | undefined> {
    const member = this.membership.member(id);
    return member ? { ...member.connection.context } : undefined;
  }

  // ---- for cluster adapters, which wrap this one ---------------------------------------------

  /** Whether this process holds the connection. */
  has(id: string): boolean {
    return this.membership.member(id) !== undefined;
  }

  /** The flag a local connection is bound to now (no Promise). */
  flagNow(id: string): string | undefined {
    return this.membership.member(id)?.flag;
  }

  /** Which of `groups` a local connection is not in yet. */
  groupsNotIn(id: string, groups: readonly string[]): string[] {
    const member = this.membership.member(id);
    return member ? groups.filter((group) => !this.membership.isIn(member, group)) : [...groups];
  }

  /** Which of `groups` a local connection is in. */
  groupsIn(id: string, groups: readonly string[]): string[] {
    const member = this.membership.member(id);
    return member ? groups.filter((group) => this.membership.isIn(member, group)) : [];
  }

  /** Every local connection with its flag and groups: what a cluster engine registers. */
  snapshot(): Array<{ id: string; flag: string | undefined; groups: string[] }> {
    const out: Array<{ id: string; flag: string | undefined; groups: string[] }> = [];
    for (const member of this.membership.all()) {
      out.push({ id: member.connection.id, flag: member.flag, groups: this.membership.groupsOf(member) });
    }
    return out;
  }

  /** {@link close} without the Promise. */
  closeNow(target: Target, finalMessage?: unknown): number {
    let closed = 0;
    for (const connection of this.connectionsOf(target)) {
      if (connection.state !== 'open') continue;
      connection.close(finalMessage);
      closed++;
    }
    return closed;
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * The target's connections, each once, as a fresh array: a push then writes to a snapshot that
   * listeners running meanwhile (a `sendFail` handler that leaves a group) cannot disturb.
   */
  connectionsOf(target: Target): AnyConnection[] {
    const membership = this.membership;
    const out: AnyConnection[] = [];
    const walk = membership.nextWalk();
    switch (target.type) {
      case 'ids':
        for (const id of target.ids) {
          const member = membership.member(id);
          if (member) take(member, walk, out);
        }
        break;
      case 'flags':
        for (const flag of target.flags) {
          const members = membership.flagMembers(flag);
          if (members) for (const member of members) take(member, walk, out);
        }
        break;
      case 'groups':
        this.markExcept(target.except, walk);
        for (const group of target.groups) {
          const members = membership.groupMembers(group);
          if (members) for (const member of members) take(member, walk, out);
        }
        break;
      case 'all':
        this.markExcept(target.except, walk);
        for (const member of membership.all()) take(member, walk, out);
        break;
    }
    return out;
  }

  /** Marks the excepted ones as taken, so the walk passes them by. */
  private markExcept(except: readonly string[] | undefined, walk: number): void {
    if (!except) return;
    for (const id of except) {
      const member = this.membership.member(id);
      if (member) member.mark = walk;
    }
  }
}

/** Adds a member not yet reached by this walk. */
function take(member: Member, walk: number, out: AnyConnection[]): void {
  if (member.mark === walk) return;
  member.mark = walk;
  out.push(member.connection);
}
