import type { Target } from '../registry/adapter.js';
import { nodeOf, type PresenceSnapshot } from './engine.js';

/** One node's entries: the two directions of socket.io's maps, by id. */
interface NodePresence {
  ids: Set<string>;
  flagOf: Map<string, string>;
  flags: Map<string, Set<string>>;
  groupsOf: Map<string, Set<string>>;
  groups: Map<string, Set<string>>;
}

/**
 * The cluster's presence held in memory by a hub that sees every node: the in-process
 * {@link LocalHub}, and the supervisor of worker processes. Entries are kept per node so that a
 * node that leaves or dies is dropped in one step (the hub sees a worker exit at once, so its lease
 * is its life) and re-registered in one step from its snapshot. Ids are unique across nodes, so
 * answers sum over nodes without counting anyone twice.
 */
export class PresenceTable {
  private readonly byNode = new Map<string, NodePresence>();

  /** The live nodes. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  has(node: string): boolean {
    return this.byNode.has(node);
  }

  /** Replaces everything `node` holds with `snapshot` (a node joining or coming back). */
  replace(node: string, snapshot: PresenceSnapshot): void {
    const entry = emptyNode();
    this.byNode.set(node, entry);
    for (const { id, flag, groups } of snapshot) {
      entry.ids.add(id);
      if (flag !== undefined) bindIn(entry, id, flag);
      if (groups) for (const group of groups) joinIn(entry, id, group);
    }
  }

  /** Forgets `node` and everything it held. */
  drop(node: string): void {
    this.byNode.delete(node);
  }

  add(node: string, id: string): void {
    this.entry(node)?.ids.add(id);
  }

  remove(node: string, id: string): void {
    const entry = this.entry(node);
    if (!entry || !entry.ids.delete(id)) return;
    const flag = entry.flagOf.get(id);
    if (flag !== undefined) unbindIn(entry, id, flag);
    const groups = entry.groupsOf.get(id);
    if (groups) for (const group of [...groups]) leaveIn(entry, id, group);
  }

  bind(node: string, id: string, flag: string): void {
    const entry = this.entry(node);
    if (!entry?.ids.has(id)) return;
    const previous = entry.flagOf.get(id);
    if (previous !== undefined) unbindIn(entry, id, previous);
    bindIn(entry, id, flag);
  }

  unbind(node: string, id: string): void {
    const entry = this.entry(node);
    const flag = entry?.flagOf.get(id);
    if (entry && flag !== undefined) unbindIn(entry, id, flag);
  }

  join(node: string, id: string, groups: readonly string[]): void {
    const entry = this.entry(node);
    if (!entry?.ids.has(id)) return;
    for (const group of groups) joinIn(entry, id, group);
  }

  leave(node: string, id: string, groups: readonly string[]): void {
    const entry = this.entry(node);
    if (!entry) return;
    for (const group of groups) leaveIn(entry, id, group);
  }

  // ---- questions ---------------------------------------------------------------------------

  ids(target: Target): string[] {
    const out: string[] = [];
    if (target.type === 'ids') {
      const seen = new Set<string>();
      for (const id of target.ids) {
        if (!seen.has(id) && this.byNode.get(nodeOf(id))?.ids.has(id)) out.push(id);
        seen.add(id);
      }
      return out;
    }
    const exceptIds = 'except' in target ? target.except : undefined;
    const except = exceptIds && exceptIds.length > 0 ? new Set(exceptIds) : undefined;
    for (const entry of this.byNode.values()) {
      if (target.type === 'all') {
        for (const id of entry.ids) if (!except?.has(id)) out.push(id);
        continue;
      }
      const index = target.type === 'flags' ? entry.flags : entry.groups;
      const names = target.type === 'flags' ? target.flags : target.groups;
      if (names.length === 1) {
        for (const id of index.get(names[0]!) ?? []) if (!except?.has(id)) out.push(id);
        continue;
      }
      const seen = new Set<string>();
      for (const name of names) {
        for (const id of index.get(name) ?? []) {
          if (seen.has(id) || except?.has(id)) continue;
          seen.add(id);
          out.push(id);
        }
      }
    }
    return out;
  }

  count(target: Target): number {
    // The common questions are sums of set sizes; the rest count the ids.
    const plain = target.type === 'all' || target.type === 'groups' ? !target.except || target.except.length === 0 : true;
    if (plain && target.type !== 'ids') {
      let count = 0;
      for (const entry of this.byNode.values()) {
        if (target.type === 'all') count += entry.ids.size;
        else if (target.type === 'flags' && target.flags.length === 1) count += entry.flags.get(target.flags[0]!)?.size ?? 0;
        else if (target.type === 'groups' && target.groups.length === 1) count += entry.groups.get(target.groups[0]!)?.size ?? 0;
        else return this.ids(target).length;
      }
      return count;
    }
    return this.ids(target).length;
  }

  flagOf(id: string): string | undefined {
    return this.byNode.get(nodeOf(id))?.flagOf.get(id);
  }

  groupsOf(id: string): string[] {
    return [...(this.byNode.get(nodeOf(id))?.groupsOf.get(id) ?? [])];
  }

  groups(): string[] {
    const names = new Set<string>();
    for (const entry of this.byNode.values()) for (const group of entry.groups.keys()) names.add(group);
    return [...names];
  }

  private entry(node: string): NodePresence | undefined {
    return this.byNode.get(node);
  }
}

function emptyNode(): NodePresence {
  return { ids: new Set(), flagOf: new Map(), flags: new Map(), groupsOf: new Map(), groups: new Map() };
}

function bindIn(entry: NodePresence, id: string, flag: string): void {
  entry.flagOf.set(id, flag);
  addTo(entry.flags, flag, id);
}

function unbindIn(entry: NodePresence, id: string, flag: string): void {
  entry.flagOf.delete(id);
  removeFrom(entry.flags, flag, id);
}

function joinIn(entry: NodePresence, id: string, group: string): void {
  addTo(entry.groupsOf, id, group);
  addTo(entry.groups, group, id);
}

function leaveIn(entry: NodePresence, id: string, group: string): void {
  removeFrom(entry.groupsOf, id, group);
  removeFrom(entry.groups, group, id);
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}
