/**
 * The dynamic provider's implementation, loaded by name inside the Pulumi
 * provider process (see sdk/provider.ts). Module state here is per process:
 * one SSH pool and one engine per host, shared by every resource of a run.
 */
import * as lifecycle from "../lifecycle";
import { acquireHost } from "../host/ssh";
import { stderrProgress } from "../deploy/progress";
import type { Connection } from "../host/connection";

const context = lifecycle.contextFrom((connection: Connection) =>
  acquireHost(connection, {
    label: connection.port === 22 ? connection.host : `${connection.host}:${connection.port}`,
    logger: (level, message) => (level === "warn" ? stderrProgress.warn(message) : level === "info" ? stderrProgress.info(message) : undefined),
  }),
);

type Props = Record<string, unknown>;

export async function check(_olds: Props, news: Props) {
  return lifecycle.check(news, stderrProgress);
}

export async function diff(_id: string, olds: Props, news: Props) {
  return lifecycle.diff(olds, news);
}

export async function create(inputs: Props) {
  return lifecycle.create(context, inputs);
}

export async function read(id: string, props: Props) {
  return lifecycle.read(context, id, props, stderrProgress);
}

export async function update(_id: string, olds: Props, news: Props) {
  return lifecycle.update(context, olds, news);
}

export async function remove(_id: string, props: Props) {
  await lifecycle.remove(context, props);
}

// NixosHost: one resource per host; all of its containers in one round.
export async function hostCheck(_olds: Props, news: Props) {
  return lifecycle.checkHost(news, stderrProgress);
}

export async function hostDiff(_id: string, olds: Props, news: Props) {
  return lifecycle.diffHost(olds, news);
}

export async function hostCreate(inputs: Props) {
  return lifecycle.createHost(context, inputs);
}

export async function hostRead(id: string, props: Props) {
  return lifecycle.readHost(context, id, props, stderrProgress);
}

export async function hostUpdate(_id: string, olds: Props, news: Props) {
  return lifecycle.updateHost(context, olds, news);
}

export async function hostRemove(_id: string, props: Props) {
  await lifecycle.deleteHost(context, props);
}
