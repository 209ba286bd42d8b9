/**
 * Runs a command inside a real pseudo-terminal (python3's `pty` module, part of every Debian
 * python3): the child sees a TTY on stdin, stdout and stderr, of the size asked, so listr2 picks
 * its interactive renderer. Bytes written with `type()` go through the terminal's line
 * discipline: "\x03" is a real Ctrl-C (SIGINT to the foreground process group), as at a keyboard.
 */
import { spawn } from "node:child_process";

const RELAY = String.raw`
import fcntl, os, pty, select, struct, sys, termios
cols, rows = int(sys.argv[1]), int(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
inp = sys.stdin.fileno()
watch = [fd, inp]
while True:
    r, _, _ = select.select(watch, [], [])
    if inp in r:
        data = os.read(inp, 1024)
        if data:
            os.write(fd, data)
        else:
            watch.remove(inp)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(sys.stdout.fileno(), data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

export interface PtyRun {
  /** everything the terminal showed, escape sequences included */
  screen(): string;
  /** keystrokes, as typed at the keyboard ("\x03" is Ctrl-C, "\r" is Enter) */
  type(keys: string): void;
  /** resolves once `text` has appeared on the terminal */
  waitFor(text: string | RegExp): Promise<void>;
  exited: Promise<number | null>;
}

export function runInPty(argv: string[], opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv } = {}): PtyRun {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", ...opts.env };
  // A terminal session, not a CI log: the renderer must be listr2's.
  delete env.CI;
  delete env.NO_COLOR;
  const child = spawn("python3", ["-c", RELAY, String(opts.cols ?? 80), String(opts.rows ?? 24), ...argv], { env, stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const waiters: Array<{ test: (s: string) => boolean; resolve: () => void }> = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
    for (const w of [...waiters]) {
      if (w.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    screen: () => out,
    type: (keys) => child.stdin.write(keys),
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        const test = (s: string) => (typeof text === "string" ? s.includes(text) : text.test(s));
        if (test(out)) return resolve();
        waiters.push({ test, resolve });
        void exited.then(() => (test(out) ? resolve() : reject(new Error(`the terminal closed before ${String(text)} appeared:\n${out}`))));
      }),
    exited,
  };
}
