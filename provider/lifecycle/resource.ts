/**
 * The lifecycle as a Pulumi resource provider sees it: six operations over property bags, one
 * implementation for every kind. Fronts (the dynamic provider, the provider plugin) serve these
 * as they are. Each operation decodes (codec.ts), runs the core (check, plan, converge, read)
 * and encodes; errors leave with every credential of the resource's connections blanked out,
 * keeping their class and cause.
 */
import { InputError, PartialFailure, ProviderError } from "../errors";
import { silentProgress, type Progress } from "../deploy/progress";
import { hostLabel } from "./identity";
import { check, type CheckOutcome } from "./check";
import { canonicalJson as canonical, connectionsIn, declaredFrom, inputsDigest, ownerIn, recordedFrom, recordedInputs, recordedState, secretValuesIn, stepSettingsIn } from "./codec";
import type { LifecycleContext, Redactor } from "./context";
import { converge, type HostOutcome } from "./converge";
import type { ResourceKind } from "./kinds";
import type { DeclaredHost, RecordedHost } from "./model";
import { diff, plan, type DiffOutcome } from "./plan";
import { read } from "./read";
import { answerPacer } from "./answers";

type Props = Record<string, unknown>;

/** One per process: every resource it serves answers through it (answers.ts says why). */
const pacer = answerPacer();

/** The answer of a create, update or delete, paced: a partially failed update leaves alone. */
async function answered<T>(op: "create" | "update" | "delete", run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    await pacer.turn();
    return result;
  } catch (e) {
    await (op === "update" && e instanceof PartialFailure ? pacer.alone() : pacer.turn());
    throw e;
  }
}

export interface ReadOutcome {
  id?: string;
  props?: Props;
  inputs?: Props;
}

export interface ResourceOps {
  check(olds: Props, news: Props): CheckOutcome;
  diff(id: string, olds: Props, news: Props): DiffOutcome;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<ReadOutcome>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

export function resourceOps(kind: ResourceKind, ctx: LifecycleContext, progress: Progress): ResourceOps {
  /** The resource's own reporter: its row, from the owner the SDK put in its inputs. */
  const progressFor = (props: Props) => progress.about([ownerIn(props)?.urn ?? ""]);
  /**
   * What check answered in this process (digests of the inputs): create and update take those as
   * they are, validated and rendered once. Anything else (a caller that skipped check) is
   * checked again here, and refused as check would refuse it.
   */
  const accepted = new Set<string>();
  const declared = (props: Props): DeclaredHost[] => {
    if (accepted.has(inputsDigest(props))) return declaredFrom(kind.shape, props);
    progressFor(props).debug(`${kind.name}: inputs that check did not answer in this process: checking them again`);
    const checked = check(kind, props, silentProgress);
    if (!checked.declared) throw new InputError(checked.problems, `${kind.name} inputs`);
    return checked.declared;
  };
  const guarded = async <T>(props: Props, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw scrubbed(e, ctx.redactorFor(connectionsIn(kind.shape, props), secretValuesIn(kind.shape, props)));
    }
  };

  /** Converge from what the state records to what is declared; the new state, or a failure that carries it. */
  async function step(recorded: RecordedHost[], declared: DeclaredHost[], inputs: Props, prior: Props | undefined) {
    const owner = ownerIn(inputs);
    const settings = stepSettingsIn(kind.shape, inputs);
    const outcomes = await converge(ctx, plan(recorded, declared, settings.onlyHosts), {
      owner,
      joinBurst: kind.joinsBurst,
      maxParallelHosts: settings.maxParallelHosts,
      progress: progressFor(inputs),
    });
    const state = recordedState(kind.shape, outcomes.filter((o) => !o.gone).map((o) => o.host), owner, settings);
    const id = kind.id(declared, owner);
    const failure = failureOf(kind, outcomes, "applying");
    if (!failure) return { id, outs: state! };
    // Pulumi records the state of a partial step (reference pulumi.md 9) and lists its reasons.
    // Nothing to record when the resource does not exist (a NixosContainer whose create failed),
    // or, for a kind that records only changes, is as it was.
    const unchanged = prior !== undefined && canonical(state) === canonical(withoutProvider(prior));
    if (!state || (kind.partialState === "when changed" && unchanged)) throw failure.error;
    throw new PartialFailure(failure.error.message, id, { ...state, __provider: inputs.__provider }, failure.reasons, { cause: failure.error });
  }

  return {
    check: (olds, news) => {
      const checked = check(kind, news, progressFor(news), olds);
      if (checked.declared) accepted.add(inputsDigest(checked.inputs));
      return checked;
    },
    diff: (_id, olds, news) => diff(kind, olds, news),
    create: (inputs) => answered("create", () => guarded(inputs, () => step([], declared(inputs), inputs, undefined))),
    update: (_id, olds, news) =>
      answered("update", () => guarded(news, async () => ({ outs: (await step(recordedFrom(kind.shape, olds), declared(news), news, olds)).outs }))),
    read: (id, props) =>
      guarded(props, async () => {
        const owner = ownerIn(props);
        const settings = stepSettingsIn(kind.shape, props);
        const recorded = recordedFrom(kind.shape, props);
        const found = await read(ctx, recorded, owner, id, progressFor(props), settings.maxParallelHosts);
        if (found.unread.length > 0 && (kind.unreadHosts === "fail" || found.unread.length === recorded.length)) throw found.unread[0].error;
        for (const { host, error } of found.unread) {
          progressFor(props).warn(`${hostLabel(host.connection)}: could not be read (${error.message}); its ${host.containers.length} container${host.containers.length === 1 ? "" : "s"} keep the last record. The other hosts were refreshed.`);
        }
        const state = recordedState(kind.shape, found.hosts, owner, settings);
        return state ? { id, props: state, inputs: recordedInputs(kind.shape, found.hosts, owner, settings) } : {};
      }),
    delete: (_id, props) =>
      answered("delete", () => guarded(props, async () => {
        const outcomes = await converge(ctx, plan(recordedFrom(kind.shape, props), []), {
          owner: ownerIn(props),
          joinBurst: kind.joinsBurst,
          maxParallelHosts: stepSettingsIn(kind.shape, props).maxParallelHosts,
          progress: progressFor(props),
        });
        const failure = failureOf(kind, outcomes, "removing");
        if (failure) throw failure.error;
      })),
  };
}

/**
 * What a step that failed somewhere reports. A NixosContainer has one change: its error as it
 * is. A resource with several says per host how many failed and why, and that the others were
 * applied.
 */
function failureOf(kind: ResourceKind, outcomes: HostOutcome[], doing: string): { error: Error; reasons: string[] } | undefined {
  const failed = outcomes.filter((o) => o.failures.length > 0);
  if (failed.length === 0) return undefined;
  // Pulumi lists the reasons, one per container: a fleet's name their host too (`host1/web: …`).
  const reasons = failed.flatMap((o) => o.failures.map((f) => `${o.host.key ? `${o.host.key}/` : ""}${f.name}: ${f.error.message}`));
  if (kind.shape === "container") return { error: failed[0].failures[0].error, reasons: [failed[0].failures[0].error.message] };
  const lines = failed.flatMap((o) => {
    const label = hostLabel(o.host.connection);
    const head = `${label}: ${o.failures.length} of ${o.changes} container change${o.changes === 1 ? "" : "s"} failed while ${doing} them; the others were applied`;
    return [head, ...o.failures.map((f) => `- ${f.name}: ${f.error.message}`)];
  });
  return { error: new ProviderError(lines.join("\n"), { cause: failed[0].failures[0].error }), reasons };
}

function withoutProvider(props: Props): Props {
  const { __provider: _text, ...rest } = props;
  return rest;
}

/** The error, and each error in its cause chain, with every credential blanked out of its text. */
export function scrubbed(e: unknown, redact: Redactor): Error {
  const error = e instanceof Error ? e : new ProviderError(String(e));
  const seen = new Set<Error>();
  for (let x: unknown = error; x instanceof Error && !seen.has(x); x = x.cause) {
    seen.add(x);
    const fields = x as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      // `properties` is the state Pulumi records: it keeps the credentials (secret in state).
      if (k === "properties") continue;
      if (typeof v === "string") fields[k] = redact(v);
      else if (Array.isArray(v) && v.every((s) => typeof s === "string")) fields[k] = v.map(redact);
    }
    x.message = redact(x.message);
    if (x.stack) x.stack = redact(x.stack);
  }
  return error;
}

