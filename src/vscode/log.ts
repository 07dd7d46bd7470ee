// The "HF Models" log (a LogOutputChannel, so users pick the level): every line passes through
// core's `redact` with the tokens this session knows, so a token never reaches the output.
import * as vscode from "vscode";
import { redact } from "../core/hub/token";

type Level = "trace" | "debug" | "info" | "warn" | "error";

export class Logger implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private readonly secrets = new Set<string>();
  private readonly written = new vscode.EventEmitter<string>();
  /** Every line as written (`[level] text`, already redacted), for whoever watches the log besides the channel. */
  readonly onDidWrite: vscode.Event<string> = this.written.event;

  constructor(name = "HF Models") {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  /** Registers a token so that it is scrubbed from every later line. */
  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.add(secret);
  }

  trace(message: string): void {
    this.write("trace", message);
  }
  debug(message: string): void {
    this.write("debug", message);
  }
  info(message: string): void {
    this.write("info", message);
  }
  warn(message: string): void {
    this.write("warn", message);
  }
  error(message: string, err?: unknown): void {
    this.write("error", err === undefined ? message : `${message}: ${describeError(err)}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.written.dispose();
    this.channel.dispose();
  }

  private write(level: Level, message: string): void {
    let text = redact(message);
    for (const secret of this.secrets) text = redact(text, secret);
    this.channel[level](text);
    this.written.fire(`[${level}] ${text}`);
  }
}

/** The message plus the chain of causes, one per line, so the log says why and not just what. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(`${current.name}${typeof code === "string" ? ` [${code}]` : ""}: ${current.message}`);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join("\n  caused by ");
}
