// kill -9 and resume on the Git LFS route (suite in crash-resume.ts).
import { crashResumeSuite } from "./crash-resume";

crashResumeSuite({ route: "lfs" });
