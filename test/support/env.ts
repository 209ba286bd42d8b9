/**
 * Sets environment variables for a test file and gives back the function that puts each one back
 * as it was (removed when it was not set): the passwords tests pass by variable name, never by value.
 */
export function setEnv(values: Record<string, string>): () => void {
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
