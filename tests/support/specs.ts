/** Minimal valid NixosContainer arguments for tests, with overrides. */
export const CONNECTION = { host: "127.0.0.11", hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" };

export function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "web", connection: CONNECTION, config: { services: { nginx: { enable: true } } }, ...overrides };
}
