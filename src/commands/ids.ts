// Command ids of the extension, typed, in one place (package.json `contributes.commands` uses the same strings).
// Item commands take a tree node as their argument and are hidden from the Command Palette.
export const Command = {
  downloadModel: "hfModels.downloadModel",
  setToken: "hfModels.setToken",
  signOut: "hfModels.signOut",
  refresh: "hfModels.refresh",
  showLog: "hfModels.showLog",
  openFolder: "hfModels.openFolder",
  revealInOS: "hfModels.revealInOS",
  copyPath: "hfModels.copyPath",
  openModelPage: "hfModels.openModelPage",
  checkForUpdates: "hfModels.checkForUpdates",
  updateModel: "hfModels.updateModel",
  resumeModel: "hfModels.resumeModel",
  repairModel: "hfModels.repairModel",
  verifyModel: "hfModels.verifyModel",
  makeAvailableToPython: "hfModels.makeAvailableToPython",
  deleteModel: "hfModels.deleteModel",
} as const;
export type CommandId = (typeof Command)[keyof typeof Command];

export const VIEW_ID = "hfModels.models";
