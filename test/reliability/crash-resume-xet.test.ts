// kill -9 and resume on the Xet route (suite in crash-resume.ts). The engine writes out of order and notes the
// ranges that landed beside the partial every 200 ms, so a rerun fetches only the gaps.
import { crashResumeSuite } from "./crash-resume";

crashResumeSuite({ route: "xet" });
