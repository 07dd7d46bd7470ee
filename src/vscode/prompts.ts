// The questions commands ask (QuickPicks, input boxes, modal confirmations) behind one small interface,
// so a flow can be driven by a person in the real UI or answered step by step by the extension-host tests.
import * as vscode from "vscode";

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  /** Preselected in a many-pick. */
  picked?: boolean;
  value: T;
  /** A message in the list, never a choice: Enter on a "retry" notice runs the search again, on an "info" one does nothing. */
  notice?: "retry" | "info";
}

export interface SelectionButton<T> {
  /** Tooltip and the name tests use. */
  label: string;
  /** Codicon id, e.g. "filter". */
  icon: string;
  /** The items to select when pressed. */
  select(items: readonly PickItem<T>[]): PickItem<T>[];
}

export interface PickStep<T> {
  /** Stable name of the step ("repo", "revision", "files" …) for tests and logs. */
  step: string;
  title: string;
  placeholder: string;
  items: PickItem<T>[];
  canPickMany?: boolean;
  /** Initial text in the filter box. */
  value?: string;
  /** Replaces the items as the user types (debounced, previous search aborted). */
  search?(query: string, signal: AbortSignal): Promise<PickItem<T>[]>;
  /** Title-bar buttons that change the selection of a many-pick ("Safetensors only" …). */
  buttons?: SelectionButton<T>[];
}

export interface InputStep {
  step: string;
  title: string;
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  /** Returns the problem to show, or undefined when the value is acceptable. */
  validate?(value: string): string | undefined;
}

export interface ConfirmStep {
  step: string;
  message: string;
  detail?: string;
  /** Title of the confirming button (the dialog also has Cancel). */
  confirm: string;
}

/** `undefined` = the user pressed Esc / closed the prompt. */
export interface Prompter {
  pick<T>(step: PickStep<T>): Promise<T[] | undefined>;
  input(step: InputStep): Promise<string | undefined>;
  confirm(step: ConfirmStep): Promise<boolean>;
}

const SEARCH_DEBOUNCE_MS = 250;

type QpItem<T> = vscode.QuickPickItem & { value: T; notice?: PickItem<T>["notice"] };

export class QuickInputPrompter implements Prompter {
  pick<T>(step: PickStep<T>): Promise<T[] | undefined> {
    const qp = vscode.window.createQuickPick<QpItem<T>>();
    qp.title = step.title;
    qp.placeholder = step.placeholder;
    qp.canSelectMany = step.canPickMany === true;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = true;
    const toQp = (items: readonly PickItem<T>[]): QpItem<T>[] =>
      // A live search already filtered on the server; keep every hit visible whatever the fuzzy match says.
      items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, value: i.value, notice: i.notice, alwaysShow: step.search !== undefined }));
    const setItems = (items: readonly PickItem<T>[]) => {
      const qpItems = toQp(items);
      qp.items = qpItems;
      if (qp.canSelectMany) qp.selectedItems = qpItems.filter((_, i) => items[i]?.picked);
    };
    setItems(step.items);
    if (step.value) qp.value = step.value;
    const buttons = (step.buttons ?? []).map((b) => ({ iconPath: new vscode.ThemeIcon(b.icon), tooltip: b.label, source: b }));
    qp.buttons = buttons;

    return new Promise<T[] | undefined>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let searching: AbortController | undefined;
      // Enter pressed while a search for the latest text is still running: accept its first hit once it lands,
      // never a stale item from the previous text.
      let acceptWhenReady = false;
      const disposables: vscode.Disposable[] = [];
      const finish = (result: T[] | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        searching?.abort();
        disposables.forEach((d) => d.dispose());
        qp.dispose();
        resolve(result);
      };
      const runSearch = (query: string) => {
        searching?.abort();
        const controller = new AbortController();
        searching = controller;
        qp.busy = true;
        step.search!(query, controller.signal).then(
          (items) => {
            if (controller.signal.aborted || settled) return;
            setItems(items);
            qp.busy = false;
            searching = undefined;
            if (acceptWhenReady && items[0] && !items[0].notice) finish([items[0].value]);
            acceptWhenReady = false;
          },
          () => {
            if (controller.signal.aborted || settled) return;
            qp.busy = false;
            searching = undefined;
            acceptWhenReady = false;
          },
        );
      };
      if (step.search) {
        disposables.push(
          qp.onDidChangeValue((value) => {
            clearTimeout(timer);
            acceptWhenReady = false;
            timer = setTimeout(() => {
              timer = undefined;
              runSearch(value);
            }, SEARCH_DEBOUNCE_MS);
          }),
        );
        runSearch(qp.value);
      }
      disposables.push(
        qp.onDidTriggerButton((button) => {
          const source = buttons.find((b) => b === button)?.source;
          if (!source) return;
          const chosen = new Set(source.select(step.items).map((i) => i.value));
          qp.selectedItems = qp.items.filter((i) => chosen.has(i.value));
        }),
        qp.onDidAccept(() => {
          if (step.search && !qp.canSelectMany && (timer !== undefined || searching !== undefined)) {
            acceptWhenReady = true;
            if (timer !== undefined) {
              clearTimeout(timer);
              timer = undefined;
              runSearch(qp.value);
            }
            return;
          }
          const chosen = qp.canSelectMany ? qp.selectedItems.filter((i) => !i.notice) : qp.activeItems.slice(0, 1);
          if (!qp.canSelectMany && chosen.length === 0) return;
          if (chosen[0]?.notice) {
            if (chosen[0].notice === "retry" && step.search) runSearch(qp.value);
            return;
          }
          finish(chosen.map((i) => i.value));
        }),
        qp.onDidHide(() => finish(undefined)),
      );
      qp.show();
    });
  }

  async input(step: InputStep): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: step.title,
      prompt: step.prompt,
      value: step.value,
      placeHolder: step.placeholder,
      password: step.password,
      ignoreFocusOut: true,
      validateInput: step.validate ? (v) => step.validate!(v) : undefined,
    });
  }

  async confirm(step: ConfirmStep): Promise<boolean> {
    const choice = await vscode.window.showWarningMessage(step.message, { modal: true, detail: step.detail }, step.confirm);
    return choice === step.confirm;
  }
}
