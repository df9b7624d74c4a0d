/** What `pulumi preview --json` prints, as far as preview-md reads it. */

export type Json = unknown;
export type Obj = Record<string, Json>;

export interface State {
  type?: string;
  id?: string;
  inputs: Obj;
  outputs: Obj;
}

export interface Step {
  op: string;
  urn: string;
  type: string;
  old?: State;
  new?: State;
  replaceReasons: string[];
}
