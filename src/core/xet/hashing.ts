// The Xet route's view of file content; the rules live once in core/content.
export { createContentHash, expectedContent, feedFile, hashFile, type ExpectedContent, type HashKind } from "../content";
