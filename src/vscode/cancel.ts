// Bridges VS Code's CancellationToken to the AbortSignal that core understands.
// The returned disposable detaches the listener once the work is over.
import type * as vscode from "vscode";

export function abortSignalFrom(token: vscode.CancellationToken, controller = new AbortController()): {
  signal: AbortSignal;
  controller: AbortController;
  dispose(): void;
} {
  if (token.isCancellationRequested) controller.abort();
  const listener = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, controller, dispose: () => listener.dispose() };
}
