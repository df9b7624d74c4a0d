/**
 * The dynamic provider's implementation, loaded by name inside the Pulumi
 * provider process (see sdk/provider.ts). Module state here is per process:
 * one SSH pool and one engine per host, shared by every resource of a run.
 */
import * as lifecycle from "../lifecycle";
import { acquireHost } from "../host/ssh";
import { EngineRegistry, defaultEngineOptions } from "../deploy/engine";
import { ownerOf } from "../lifecycle/owner";
import type { Connection } from "../host/connection";
import { EngineLog, engineAddress, stderrSink } from "./engine-log";
import { EngineProgress, verbosityFrom } from "./engine-progress";

const address = engineAddress();
const sink = address ? new EngineLog(address) : stderrSink;
const progress = new EngineProgress(sink, verbosityFrom());

const context = lifecycle.contextFrom(
  (connection: Connection) =>
    acquireHost(connection, {
      label: connection.port === 22 ? connection.host : `${connection.host}:${connection.port}`,
      // Connecting and retrying is live status of the run (the connection serves every resource of the host).
      logger: (level, message) => (level === "warn" || level === "error" ? progress.warn(message) : level === "info" ? progress.status(message) : progress.debug(message)),
    }),
  new EngineRegistry({ ...defaultEngineOptions(), progress }),
);

type Props = Record<string, unknown>;

/** The resource's own reporter: its row, from the owner the SDK put in its inputs. */
const progressFor = (props: Props) => progress.about([ownerOf(props)?.urn ?? ""]);

/** Every message of a step reaches the engine before the step ends (the run may end with it). */
async function delivered<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    await sink.drain();
  }
}

export async function check(_olds: Props, news: Props) {
  return delivered(Promise.resolve().then(() => lifecycle.check(news, progressFor(news))));
}

export async function diff(_id: string, olds: Props, news: Props) {
  return lifecycle.diff(olds, news);
}

export async function create(inputs: Props) {
  return delivered(lifecycle.create(context, inputs));
}

export async function read(id: string, props: Props) {
  return delivered(lifecycle.read(context, id, props, progressFor(props)));
}

export async function update(_id: string, olds: Props, news: Props) {
  return delivered(lifecycle.update(context, olds, news));
}

export async function remove(_id: string, props: Props) {
  await delivered(lifecycle.remove(context, props));
}

// NixosHost: one resource per host; all of its containers in one round.
export async function hostCheck(_olds: Props, news: Props) {
  return delivered(Promise.resolve().then(() => lifecycle.checkHost(news, progressFor(news))));
}

export async function hostDiff(_id: string, olds: Props, news: Props) {
  return lifecycle.diffHost(olds, news);
}

export async function hostCreate(inputs: Props) {
  return delivered(lifecycle.createHost(context, inputs));
}

export async function hostRead(id: string, props: Props) {
  return delivered(lifecycle.readHost(context, id, props, progressFor(props)));
}

export async function hostUpdate(_id: string, olds: Props, news: Props) {
  return delivered(lifecycle.updateHost(context, olds, news));
}

export async function hostRemove(_id: string, props: Props) {
  await delivered(lifecycle.deleteHost(context, props));
}
