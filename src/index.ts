/// <reference types="node" preserve="true" />
// The public API of Switchboard: what this file exports is promised, nothing else.

export {
  ErrorCode,
  SwitchboardError,
  DecodeError,
  FrameTooLargeError,
  CorruptFrameError,
  InvalidJsonError,
  InvalidUtf8Error,
  InvalidOptionError,
  InvalidArgumentError,
  InvalidMessageError,
  UnsupportedError,
  AddressInUseError,
  PermissionDeniedError,
  ListenFailedError,
  BadTlsMaterialError,
  AlreadyStartedError,
  ReceiveBufferFullError,
  SendBufferFullError,
  ConnectionFailedError,
  TlsHandshakeError,
  HandshakeTimeoutError,
  HandlerFailedError,
  ConnectError,
  OfflineQueueFullError,
  ClientClosedError,
  WebSocketProtocolError,
  HandshakeRefusedError,
  PeerUnreachableError,
} from './errors.js';
export { ClusterError, ClusterIncompleteError } from './errors.js';

// codec: src/codec/index.ts is itself an explicit list
export * from './codec/index.js';

// connection
export { Connection, ConnectionState, DEFAULT_CLOSE_TIMEOUT, type TransportName } from './connection/connection.js';
export { ConnectionEvent } from './connection/events.js';
export { usesCodec, isMessageOf } from './connection/codec-guards.js';
export { IdleEvent } from './connection/idle-event.js';
export type {
  ConnectionEvents,
  DefaultContext,
  CloseReason,
  SendFailCode,
  EstablishEvent,
  MessageEvent,
  CloseEvent,
  ReceiveBufferFullEvent,
  DecodeFailEvent,
  SendBufferFullEvent,
  SendBufferDrainEvent,
  SendFailEvent,
} from './connection/events.js';
export { DEFAULT_LIMITS, CHUNK_OVERHEAD_BYTES, type ConnectionLimits } from './connection/limits.js';

// transport
export type { TcpEndpoint, TlsEndpoint, UnixEndpoint, TlsServerMaterial, ListeningAddress } from './transport/endpoint.js';
export { UDP_DEFAULTS, MAX_UDP_PAYLOAD, type UdpEndpoint } from './transport/udp/udp-endpoint.js';
export type { UdpTarget } from './client/udp-client-transport.js';
export type { EndpointOptions } from './transport/create-listener.js';
export type { TcpTarget, TlsTarget, UnixTarget } from './transport/dial.js';

// websocket
export { TextBinaryMessageCodec, JsonMessageCodec, DEFAULT_MESSAGE_CODEC, type MessageCodec } from './codec/message-codec.js';
export type { WebSocketInfo, WebSocketRequestInfo } from './transport/websocket/websocket-link.js';
export {
  WEBSOCKET_DEFAULTS,
  type WebSocketEndpoint,
  type WebSocketPortEndpoint,
  type WebSocketAttachedEndpoint,
  type HandshakeHook,
  type HandshakeRequest,
  type HandshakeDecision,
  type PerMessageDeflateSettings,
} from './transport/websocket/websocket-endpoint.js';
export { CloseCode } from './transport/websocket/constants.js';
export type { WebSocketTarget } from './transport/websocket/websocket-dial.js';

// server
export { Server, SERVER_DEFAULTS, type ServerOptions, type StopOptions } from './server/server.js';
export { ServerEvent, type ServerEvents, type StartEvent, type StopEvent, type AcceptEvent, type RejectEvent, type PacketEvent } from './server/events.js';
export { HEARTBEAT_DEFAULTS, type HeartbeatOptions } from './server/heartbeat.js';

// registry
export { Registry, REGISTRY_DEFAULTS, type RegistryOptions, type RegistrySource, type BroadcastOptions, type BindOptions, type RawData } from './registry/registry.js';
export { RegistryEvent, type RegistryEvents, type RegisterEvent, type UnregisterEvent, type DropEvent, type EncodeFailEvent, type ClusterEvent } from './registry/events.js';
export type { RegistryAdapter, AdapterInit, Target, Payload, PushResult, EncodeFailure } from './registry/adapter.js';
export type { Holdings } from './registry/membership.js';
export { LocalAdapter } from './registry/local-adapter.js';
export type { ConnectionRef, OneOrMany } from './registry/arguments.js';

// cluster: the same registry calls across processes and machines
export type { ClusterEngine, ClusterEngineEvents, ClusterNode, ClusterStatus, PresenceStore, PresenceEntry, PresenceSnapshot, RequestOptions, RequestOutcome } from './cluster/engine.js';
export { CLUSTER_DEFAULTS, type ClusterOptions } from './cluster/cluster-adapter.js';
export { setDefaultClusterEngine, clusterAdapter, type ClusterEngineFactory, type AdapterFactory } from './cluster/default-engine.js';
export { LocalHub } from './cluster/local-engine.js';
export { PresenceTable } from './cluster/presence-table.js';
export { redisAdapter, redisEngine, type RedisAdapterOptions } from './cluster/redis-adapter.js';
export { RedisEngine, REDIS_ENGINE_DEFAULTS, type RedisEngineOptions } from './cluster/redis-engine.js';

// client
export { Client, ClientEvent, CLIENT_DEFAULTS, type ClientOptions, type ClientCommonOptions, type ClientHeartbeatOptions, type ClientCodecOption, type ClientMessageCodecOption, type ClientEvents, type OpenFailEvent, type ConnectFailEvent, type ReconnectEvent } from './client/client.js';
export { RECONNECT_DEFAULTS, type ReconnectOptions } from './client/backoff.js';
export { OFFLINE_QUEUE_DEFAULTS, type OfflineQueueOptions, type OfflineOverflow } from './client/offline-queue.js';

// utilities
export { ManualClock, systemClock, type Clock } from './util/clock.js';

// process: app files, workers, task workers (the switchboard command is built on these)
export { AppError, WorkerStartError, TaskError, CommandError } from './errors.js';
export type { AppModule, AppFactory, TaskHandler, TaskHandlers } from './process/app-file.js';
export { WorkerContext, WorkerContext as AppContext, TASK_DEFAULTS, type TaskOptions, type WorkerMessageEvent, type WorkerContextEvents, type ShapeName } from './process/worker-context.js';
export { runApp, type RunAppOptions, type SoloApp } from './process/run-app.js';
export { startWorker, type StartWorkerOptions, type RunningApp } from './process/start-worker.js';
export type { ClusterShape } from './process/cluster-shape.js';
export { chooseDistribution, DISTRIBUTION_CHOICES, type Distribution, type DistributionChoice } from './process/distribution.js';
export { reusePortSupported } from './transport/reuse-port.js';
export {
  Supervisor,
  SUPERVISOR_DEFAULTS,
  type SupervisorOptions,
  type SupervisorEvents,
  type SupervisorStatus,
  type WorkerStatus,
  type WorkerEvent,
  type WorkerReadyEvent,
  type WorkerFailEvent,
  type WorkerExitEvent,
  type ReloadEvent,
} from './process/supervisor.js';
export type { WorkerStats } from './process/control-messages.js';
export { TaskPool, TASK_POOL_DEFAULTS, type TaskPoolOptions } from './process/task-pool.js';
export { Topic, envelope, isEnvelope, type Envelope } from './process/envelope.js';
export type { SupervisorExtension, WorkerPort, WorkerExit } from './process/supervisor-extension.js';
export { supervisorLink, type SupervisorLink } from './process/supervisor-link.js';
