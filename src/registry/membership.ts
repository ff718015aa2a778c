import type { AnyConnection } from '../connection/connection.js';

/** One registered connection, with its side of the index: its flag and its groups. */
export interface Member {
  readonly connection: AnyConnection;
  /** The user id this connection is bound to, if any. */
  flag: string | undefined;
  /**
   * The groups this connection is in: the member-to-group direction of the index. One group is
   * held as its name and a Set is made at the second: most connections are in one room, and a
   * Set costs ~190 bytes per connection (read it through {@link Membership.groupsOf}).
   */
  groups: string | Set<string> | undefined;
  /**
   * The number of the last walk that reached this member. A push reaching a connection through two
   * groups (or a flag and a group) sees the mark and skips it: exactly once, with no Set per push.
   */
  mark: number;
}

/** What a connection held when it left the index. */
export interface Holdings {
  flag: string | undefined;
  groups: string[];
}

/**
 * Who is connected, bound to which flag, in which groups: socket.io's two maps, one in each
 * direction. `groupIndex` (and `flagIndex`) map a name to its members; each {@link Member} holds
 * its own flag and groups. Removing a connection walks only its own groups, so its cost depends
 * on how many groups it is in, never on how many groups exist. Empty sets are deleted, so the
 * number of names equals the number of non-empty groups.
 */
export class Membership {
  private readonly members = new Map<string, Member>();
  private readonly flagIndex = new Map<string, Set<Member>>();
  private readonly groupIndex = new Map<string, Set<Member>>();
  private walk = 0;

  get size(): number {
    return this.members.size;
  }

  add(connection: AnyConnection): Member {
    const existing = this.members.get(connection.id);
    if (existing) return existing;
    const member: Member = { connection, flag: undefined, groups: undefined, mark: 0 };
    this.members.set(connection.id, member);
    return member;
  }

  /** Takes a connection out of every group and its flag; undefined if it was not here. */
  remove(id: string): Holdings | undefined {
    const member = this.members.get(id);
    if (!member) return undefined;
    this.members.delete(id);
    const flag = member.flag;
    if (flag !== undefined) removeFrom(this.flagIndex, flag, member);
    const groups = this.groupsOf(member);
    for (const group of groups) removeFrom(this.groupIndex, group, member);
    member.groups = undefined;
    member.flag = undefined;
    return { flag, groups };
  }

  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  /** Binds to `flag`, leaving the previous one: a connection has at most one flag. */
  bind(member: Member, flag: string): void {
    if (member.flag === flag) return;
    if (member.flag !== undefined) removeFrom(this.flagIndex, member.flag, member);
    member.flag = flag;
    addTo(this.flagIndex, flag, member);
  }

  /** Returns the flag it had. */
  unbind(member: Member): string | undefined {
    const flag = member.flag;
    if (flag === undefined) return undefined;
    removeFrom(this.flagIndex, flag, member);
    member.flag = undefined;
    return flag;
  }

  join(member: Member, group: string): boolean {
    const held = member.groups;
    if (held === undefined) member.groups = group;
    else if (typeof held === 'string') {
      if (held === group) return false;
      member.groups = new Set([held, group]);
    } else {
      if (held.has(group)) return false;
      held.add(group);
    }
    addTo(this.groupIndex, group, member);
    return true;
  }

  leave(member: Member, group: string): boolean {
    const held = member.groups;
    if (held === group) member.groups = undefined;
    else if (typeof held !== 'object' || !held.delete(group)) return false;
    removeFrom(this.groupIndex, group, member);
    return true;
  }

  /** The groups a member is in, as a new array. */
  groupsOf(member: Member): string[] {
    const held = member.groups;
    return held === undefined ? [] : typeof held === 'string' ? [held] : [...held];
  }

  /** Whether a member is in `group`. */
  isIn(member: Member, group: string): boolean {
    const held = member.groups;
    return typeof held === 'string' ? held === group : held !== undefined && held.has(group);
  }

  all(): IterableIterator<Member> {
    return this.members.values();
  }

  flagMembers(flag: string): ReadonlySet<Member> | undefined {
    return this.flagIndex.get(flag);
  }

  groupMembers(group: string): ReadonlySet<Member> | undefined {
    return this.groupIndex.get(group);
  }

  groupNames(): IterableIterator<string> {
    return this.groupIndex.keys();
  }

  get groupCount(): number {
    return this.groupIndex.size;
  }

  get flagCount(): number {
    return this.flagIndex.size;
  }

  /** A fresh walk number for {@link Member.mark}: members marked with it are already taken. */
  nextWalk(): number {
    // 2^53 walks would take centuries at a billion pushes a second.
    return ++this.walk;
  }
}

function addTo(index: Map<string, Set<Member>>, name: string, member: Member): void {
  const set = index.get(name);
  if (set) set.add(member);
  else index.set(name, new Set([member]));
}

function removeFrom(index: Map<string, Set<Member>>, name: string, member: Member): void {
  const set = index.get(name);
  if (!set) return;
  set.delete(member);
  if (set.size === 0) index.delete(name);
}
