/**
 * A secret held in memory (a PFX password, a private key, PFX bytes). It cannot reach a report, a
 * journal, a log line or an error by accident: JSON, string conversion and `util.inspect` all print
 * a placeholder, and the value is only reachable through `reveal()`, which names the intent.
 */
import { inspect } from "node:util";

const PLACEHOLDER = "[secret]";

export class Secret<T extends string | Buffer> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The value itself: call only where it is used (decrypting, encrypting, the one import command). */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return PLACEHOLDER;
  }

  toString(): string {
    return PLACEHOLDER;
  }

  [inspect.custom](): string {
    return PLACEHOLDER;
  }
}
