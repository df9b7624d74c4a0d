/**
 * The provider plugin (`pulumi-resource-nixos`): every resource kind of the lifecycle core
 * (KINDS) served as `nixos:index:<Kind>` to programs in any language, through @pulumi/pulumi's
 * provider server. A front adds no deployment logic: it reveals Pulumi's wire values and marks
 * them secret again (codec.ts), adds the owner from the URN, and serves each kind's operations
 * (resourceOps) as they are. What the TypeScript SDK does in the program happens here, in check:
 * the module is rendered (so `pulumi preview --diff` shows it line by line), a secret outside
 * the credentials is refused at its path, the credentials are marked secret, the owner added.
 */
import type * as pulumi from "@pulumi/pulumi/provider";
import { readFileSync } from "node:fs";
import { KINDS, importResource, resourceOps, type ResourceKind, type ResourceOps } from "../lifecycle";
import { OWNER_KEY, misplacedSecrets, ownerIn, revealed, withDefaultName, withModulesUnknown, withSecretsMarked, type PropertyPath } from "../lifecycle/codec";
import { unknownPaths } from "../lifecycle/unknown";
import { formatPath } from "../inputs/problems";
import { PartialFailure } from "../errors";
import { resourceToken } from "../schema/package-schema";
import { providerProcess, type ProviderProcess } from "../process/wiring";
import { completed, importConnection, providerConfig, type ProviderConfig } from "./config";
import { ownerFromUrn } from "./owner";

type Props = Record<string, unknown>;

export interface PluginOptions {
  /** Where the provider configuration comes from (PULUMI_CONFIG). */
  env?: NodeJS.ProcessEnv;
  /** The process's wiring; by default SSH and the engine's Log RPC, with the provider configuration filled in. */
  wiring?: (config: ProviderConfig) => ProviderProcess;
}

export function pluginProvider(options: PluginOptions = {}): pulumi.Provider {
  const config = providerConfig(options.env ?? process.env);
  const wiring = options.wiring ?? ((c) => providerProcess({ complete: (connection) => completed(connection, c), secrets: c.secrets }));
  const { context, progress, delivering } = wiring(config);
  const served = new Map<string, { kind: ResourceKind; ops: ResourceOps }>(
    Object.values(KINDS).map((kind) => [resourceToken(kind.name), { kind, ops: delivering(resourceOps(kind, context, progress)) }]),
  );
  const of = (urn: string) => {
    const type = typeOfUrn(urn);
    const found = served.get(type);
    if (!found) throw new Error(`unknown resource type ${type}: this plugin serves ${[...served.keys()].join(", ")}`);
    return found;
  };
  /** Outputs back to Pulumi, secret where the inputs had secrets and wherever credentials are. */
  const out = (kind: ResourceKind, props: Props, secrets: PropertyPath[]) => withSecretsMarked(kind.shape, props, secrets);
  const marked = async <T>(kind: ResourceKind, secrets: PropertyPath[], run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      // A partial step hands Pulumi the state to record: secret like any other output.
      if (e instanceof PartialFailure) {
        const { __provider: _text, ...state } = e.properties;
        throw new PartialFailure(e.message, e.id, out(kind, state, secrets), e.reasons, { cause: e.cause });
      }
      throw e;
    }
  };

  const pkg = JSON.parse(readFileSync(require.resolve("pulumi-nixos-containers/package.json"), "utf8")) as { version: string };
  return {
    version: pkg.version,
    getSchema: async () => readFileSync(require.resolve("pulumi-nixos-containers/schema.json"), "utf8"),

    async check(urn, olds, news) {
      const { kind, ops } = of(urn);
      const before = revealed(olds ?? {});
      const given = revealed(news ?? {});
      const owner = ownerFromUrn(urn, ownerIn(before.values));
      const misplaced = misplacedSecrets(kind.shape, given.values, given.secrets);
      const checked = await ops.check(before.values, { ...withDefaultName(kind.shape, given.values, nameOfUrn(urn)), [OWNER_KEY]: owner });
      const failures = [...misplaced.map((p) => ({ property: formatPath(p.path), reason: p.message })), ...checked.failures];
      const inputs = failures.length === 0 && unknownPaths(given.values).length > 0 ? withModulesUnknown(checked.inputs, before.values) : checked.inputs;
      return { inputs: out(kind, inputs, given.secrets), failures };
    },

    async diff(id, urn, olds, news) {
      const { ops } = of(urn);
      // `changes` left undefined (DIFF_UNKNOWN) lets the engine diff the inputs itself and show only what changed.
      const { changes, replaces, deleteBeforeReplace } = await ops.diff(id, revealed(olds ?? {}).values, revealed(news ?? {}).values);
      return { changes, replaces, deleteBeforeReplace };
    },

    async create(urn, inputs) {
      const { kind, ops } = of(urn);
      const given = revealed(inputs ?? {});
      return marked(kind, given.secrets, async () => {
        const { id, outs } = await ops.create(given.values);
        return { id, outs: out(kind, outs, given.secrets) };
      });
    },

    async update(id, urn, olds, news) {
      const { kind, ops } = of(urn);
      const before = revealed(olds ?? {});
      const given = revealed(news ?? {});
      const secrets = [...given.secrets, ...before.secrets];
      return marked(kind, secrets, async () => ({ outs: out(kind, (await ops.update(id, before.values, given.values)).outs, secrets) }));
    },

    async read(id, urn, props) {
      const { kind, ops } = of(urn);
      const recorded = revealed(props ?? {});
      if (Object.keys(recorded.values).length === 0) {
        // pulumi import: an id and nothing else (lifecycle/import.ts).
        const found = await importResource(kind, context, id, (host, port) => importConnection(host, port, config), ownerFromUrn(urn));
        return { id: found.id, props: out(kind, found.props, []), inputs: out(kind, found.inputs, []) };
      }
      const found = await ops.read(id, recorded.values);
      // Gone: a blank id (the engine then drops the resource from the state).
      if (!found.id || !found.props) return { id: "", props: {} };
      return { id: found.id, props: out(kind, found.props, recorded.secrets), inputs: found.inputs && out(kind, found.inputs, recorded.secrets) };
    },

    async delete(id, urn, props) {
      const { ops } = of(urn);
      await ops.delete(id, revealed(props ?? {}).values);
    },
  };
}

/** The type of a resource, from its URN (`urn:pulumi:stack::project::<parent types$>type::name`). */
function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/** The resource's name, from its URN (the name may itself contain "::"). */
function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}
