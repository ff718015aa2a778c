import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose event names and payloads are checked by the compiler. Every Switchboard
 * event hands its listeners exactly one event object, so adding a field later breaks no one.
 */
export class TypedEmitter<Events extends object> extends EventEmitter {
  override on<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    return super.on(name, listener);
  }
  override once<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    return super.once(name, listener);
  }
  override off<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    return super.off(name, listener);
  }
  override emit<K extends keyof Events & string>(name: K, event: Events[K]): boolean {
    return super.emit(name, event);
  }
}
