// What the process layer (supervisor, workers, the command line) and engine authors import.
export type { ClusterEngine, ClusterEngineEvents, ClusterNode, ClusterStatus, PresenceStore, PresenceEntry, PresenceSnapshot, RequestOptions, RequestOutcome } from './engine.js';
export { nodeOf, summarize } from './engine.js';
export { ClusterAdapter, CLUSTER_DEFAULTS, clusterOptions, type ClusterOptions } from './cluster-adapter.js';
export { setDefaultClusterEngine, getDefaultAdapter, clusterAdapter, type ClusterEngineFactory, type AdapterFactory } from './default-engine.js';
export { LocalHub } from './local-engine.js';
export { PresenceTable } from './presence-table.js';
export { isRequest, type ClusterRequest, type ClusterReply } from './messages.js';
export { IpcEngine, ipcEngine, IPC_ENGINE_DEFAULTS, type IpcEngineOptions } from './ipc-engine.js';
export { IpcHub, type IpcHubOptions, type IpcHubEvents, type HubJoinEvent, type HubLeaveEvent, type HubBadMessageEvent } from './ipc-hub.js';
export { redisAdapter, redisEngine, type RedisAdapterOptions } from './redis-adapter.js';
export { RedisEngine, REDIS_ENGINE_DEFAULTS, redisEngineOptions, type RedisEngineOptions } from './redis-engine.js';
