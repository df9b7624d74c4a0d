/**
 * Reading rendered Nix back (nix/read.ts) and a container's module back into its inputs
 * (container/module-read.ts, what `pulumi import` recovers): every reading renders the same
 * bytes again. Pure: no evaluator needed.
 *
 * NIX_READ_SEED=<n> replays the generated values; NIX_READ_COUNT=<n> changes their count.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { readNix } from "../../provider/nix/read";
import { renderNix } from "../../provider/nix/render";
import { raw } from "../../provider/nix/raw";
import { readContainerModule } from "../../provider/container/module-read";
import { renderContainerModule } from "../../provider/container/module";
import { validateContainer } from "../../provider/container/validate";
import { GOLDEN_DIR } from "./helpers/golden";
import { ValueGenerator } from "./helpers/generate";
import { Prng, seedFrom } from "./helpers/prng";
import { CONNECTION } from "../support/specs";

const SEED = seedFrom("NIX_READ_SEED");
const COUNT = Number(process.env.NIX_READ_COUNT ?? 3000);

describe("readNix", () => {
  it(`reads every generated value back to one that renders the same bytes (seed ${SEED}, ${COUNT} values)`, () => {
    const rng = new Prng(SEED);
    const gen = new ValueGenerator(rng);
    for (let i = 0; i < COUNT; i++) {
      const { value } = i % 20 === 0 ? gen.deep(12) : gen.value(rng.range(1, 6));
      const indent = rng.pick([0, 2, 4, 7]);
      const text = renderNix(value, { indent });
      const read = readNix(text, indent);
      if (renderNix(read, { indent }) !== text) throw new Error(`value ${i} (seed ${SEED}) renders differently after reading:\n${text}`);
    }
  });

  it("reads plain data as data and anything else as raw Nix", () => {
    const value = { a: [1, -2, 1.5, "x", null, true, { b: "multi\nline\n" }], "with space": { $nix: "with pkgs; [ vim ]" }, path: { $nix: "pkgs.hello" } };
    expect(readNix(renderNix(value, { indent: 4 }), 4)).toEqual(value);
    expect(readNix("with pkgs; [ vim ]")).toEqual(raw("with pkgs; [ vim ]"));
    expect(readNix('"a ${b} c"')).toEqual(raw('"a ${b} c"'));
  });
});

describe("readContainerModule", () => {
  const goldens = fs.readdirSync(path.join(GOLDEN_DIR, "container")).filter((f) => f.endsWith(".nix"));

  it.each(goldens)("reads %s back into inputs that render it again", (file) => {
    const module = fs.readFileSync(path.join(GOLDEN_DIR, "container", file), "utf8");
    const name = /Container "(.*)"\./.exec(module)![1];
    const reading = readContainerModule(module, name, CONNECTION);
    if (!("inputs" in reading)) throw new Error(reading.problem);
    expect(renderContainerModule(validateContainer({ ...reading.inputs, connection: CONNECTION }).spec!)).toBe(module);
  });

  it("gives back a structured config as the object it was, raw Nix inside it as raw", () => {
    const inputs = { name: "web", autoStart: true, privateNetwork: true, hostAddress: "10.0.0.1", localAddress: "10.0.0.2", config: { environment: { systemPackages: raw("with pkgs; [ vim ]") }, services: { nginx: { enable: true } } }, forwardPorts: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }], resources: { memoryMax: "1G", tasksMax: 64 } };
    const module = renderContainerModule(validateContainer({ ...inputs, connection: CONNECTION }).spec!);
    expect(readContainerModule(module, "web", CONNECTION)).toEqual({ inputs });
  });

  it("gives updateStrategy restart to an autoStart container whose module has no restartIfChanged (reload would have written it)", () => {
    const module = renderContainerModule(validateContainer({ name: "db", autoStart: true, updateStrategy: "restart", connection: CONNECTION }).spec!);
    expect(readContainerModule(module, "db", CONNECTION)).toEqual({ inputs: { name: "db", autoStart: true, updateStrategy: "restart" } });
  });

  it("refuses a module edited by hand, or not written by the provider, saying why", () => {
    const module = renderContainerModule(validateContainer({ name: "web", autoStart: true, connection: CONNECTION }).spec!);
    expect(readContainerModule(module.replace("autoStart = true;", "autoStart = true;\n    extra = 1;"), "web", CONNECTION)).toEqual({ problem: expect.stringMatching(/extra: unknown property/) });
    expect(readContainerModule(module.replace("  };\n}", "  };\n  networking.hostName = \"x\";\n}"), "web", CONNECTION)).toEqual({ problem: expect.stringMatching(/layout is not the one the provider writes/) });
    expect(readContainerModule("{ containers.web = { }; }\n", "web", CONNECTION)).toEqual({ problem: expect.stringMatching(/was not written by pulumi-nixos-containers/) });
    expect(readContainerModule(module, "other", CONNECTION)).toEqual({ problem: expect.stringMatching(/header/) });
  });
});
